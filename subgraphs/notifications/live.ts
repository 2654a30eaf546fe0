import type { NotificationCreated } from './service.ts';

/** A subscriber that fell this far behind is cut off rather than buffered without limit. */
export const SUBSCRIBER_BUFFER = 256;

export class SubscriberTooSlowError extends Error {
  override name = 'SubscriberTooSlowError';
}

/** One subscriber's bounded queue of live notifications, read as an async iterator. */
export interface LiveListener extends AsyncIterableIterator<NotificationCreated> {
  close(): void;
}

/**
 * This instance's live subscribers, by recipient. Every instance receives every `notification.created`
 * (its own exclusive queue) and hands each one to the recipient's subscribers connected here, and to
 * no one else.
 */
export function createLiveHub(bufferSize = SUBSCRIBER_BUFFER) {
  const byRecipient = new Map<string, Set<Listener>>();

  class Listener implements LiveListener {
    private readonly queue: NotificationCreated[] = [];
    private waiting: ((result: IteratorResult<NotificationCreated>) => void) | undefined;
    private failWaiting: ((error: Error) => void) | undefined;
    private failure: Error | undefined;
    private closed = false;

    constructor(private readonly recipientId: string) {}

    push(notification: NotificationCreated) {
      if (this.closed) return;
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = this.failWaiting = undefined;
        resolve({ value: notification, done: false });
      } else if (this.queue.length >= bufferSize) {
        this.fail(new SubscriberTooSlowError(`More than ${bufferSize} notifications waiting: the subscriber is too slow`));
      } else {
        this.queue.push(notification);
      }
    }

    private fail(error: Error) {
      this.failure = error;
      this.queue.length = 0;
      this.detach();
    }

    next(): Promise<IteratorResult<NotificationCreated>> {
      if (this.failure) return Promise.reject(this.failure);
      const queued = this.queue.shift();
      if (queued) return Promise.resolve({ value: queued, done: false });
      if (this.closed) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => {
        this.waiting = resolve;
        this.failWaiting = reject;
      });
    }

    async return(): Promise<IteratorResult<NotificationCreated>> {
      this.close();
      return { value: undefined, done: true };
    }

    close() {
      this.closed = true;
      this.queue.length = 0;
      this.detach();
      this.waiting?.({ value: undefined, done: true });
      this.waiting = this.failWaiting = undefined;
    }

    private detach() {
      const listeners = byRecipient.get(this.recipientId);
      listeners?.delete(this);
      if (listeners?.size === 0) byRecipient.delete(this.recipientId);
      if (this.failure && this.failWaiting) {
        const reject = this.failWaiting;
        this.waiting = this.failWaiting = undefined;
        reject(this.failure);
      }
    }

    [Symbol.asyncIterator]() {
      return this;
    }
  }

  return {
    /** Starts buffering the recipient's live notifications at once: call it before reading any backlog. */
    listen(recipientId: string): LiveListener {
      const listener = new Listener(recipientId);
      let listeners = byRecipient.get(recipientId);
      if (!listeners) byRecipient.set(recipientId, (listeners = new Set()));
      listeners.add(listener);
      return listener;
    },
    publish(notification: NotificationCreated) {
      for (const listener of byRecipient.get(notification.recipientId) ?? []) listener.push(notification);
    },
    /** Ends every subscription (shutdown): each completes cleanly. */
    closeAll() {
      for (const listeners of byRecipient.values()) for (const listener of [...listeners]) listener.close();
    },
    get subscriberCount() {
      let count = 0;
      for (const listeners of byRecipient.values()) count += listeners.size;
      return count;
    },
  };
}

export type LiveHub = ReturnType<typeof createLiveHub>;
