import { requireCaller } from '../../../lib/subgraph.ts';
import type { NotificationRow } from '../db/schema.ts';
import type { SubscriptionResolvers } from '../generated/resolvers.ts';
import { decodeCursor } from '../service.ts';
import { notificationStream } from '../stream.ts';

export const Subscription: SubscriptionResolvers = {
  notificationAdded: {
    // Checked before the stream starts, so a bad cursor or a missing token fails the subscribe itself.
    subscribe: (_parent, { after }, context) => {
      const recipientId = requireCaller(context);
      const afterSeq = after ? decodeCursor(after, 'after') : undefined;
      return notificationStream(context.notifications, context.live, recipientId, afterSeq);
    },
    resolve: (row: NotificationRow) => row,
  },
};
