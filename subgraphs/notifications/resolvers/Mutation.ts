import { requireCaller } from '../../../lib/subgraph.ts';
import type { MutationResolvers } from '../generated/resolvers.ts';

export const Mutation: MutationResolvers = {
  markNotificationRead: (_parent, { id }, context) => context.notifications.markRead(requireCaller(context), id),
  markAllNotificationsRead: (_parent, _args, context) => context.notifications.markAllRead(requireCaller(context)),
  setNotificationPreferences: async (_parent, { muted }, context) => ({
    muted: await context.notifications.setMuted(requireCaller(context), muted),
  }),
};
