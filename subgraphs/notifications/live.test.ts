import { describe, expect, it } from 'vitest';
import { createLiveHub, SubscriberTooSlowError } from './live.ts';
import type { NotificationCreated } from './service.ts';

const notification = (recipientId: string, seq: number) => ({ id: `${recipientId}-${seq}`, recipientId, seq }) as NotificationCreated;

describe('live hub', () => {
  it('delivers to the recipient’s listeners only, in order', async () => {
    const hub = createLiveHub();
    const ada = hub.listen('ada');
    const bob = hub.listen('bob');
    hub.publish(notification('ada', 1));
    hub.publish(notification('ada', 2));
    expect((await ada.next()).value.seq).toBe(1);
    expect((await ada.next()).value.seq).toBe(2);
    const pending = bob.next();
    bob.close();
    expect(await pending).toEqual({ value: undefined, done: true });
  });

  it('cuts off a listener that falls more than its buffer behind, and forgets it', async () => {
    const hub = createLiveHub(3);
    const slow = hub.listen('ada');
    for (let seq = 1; seq <= 4; seq++) hub.publish(notification('ada', seq));
    await expect(slow.next()).rejects.toBeInstanceOf(SubscriberTooSlowError);
    expect(hub.subscriberCount).toBe(0);
  });

  it('ends every listener on closeAll', async () => {
    const hub = createLiveHub();
    const listeners = [hub.listen('a'), hub.listen('a'), hub.listen('b')];
    const pending = listeners.map((listener) => listener.next());
    hub.closeAll();
    expect(await Promise.all(pending)).toEqual(listeners.map(() => ({ value: undefined, done: true })));
    expect(hub.subscriberCount).toBe(0);
  });
});
