import { requireCaller } from '../../../lib/subgraph.ts';
import type { QueryResolvers } from '../generated/resolvers.ts';

export const Query: QueryResolvers = {
  notifications: (_parent, { first, after, unreadOnly }, context) =>
    context.notifications.page(requireCaller(context), { first: first ?? 20, after, unreadOnly: unreadOnly ?? false }),
  unreadNotificationCount: (_parent, _args, context) => context.notifications.unreadCount(requireCaller(context)),
  notificationPreferences: async (_parent, _args, context) => ({ muted: await context.notifications.mutedKinds(requireCaller(context)) }),
};
