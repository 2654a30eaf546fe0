import type { NotificationResolvers, NotificationSubjectResolvers } from '../generated/resolvers.ts';
import type { SubjectType } from '../recipients.ts';
import { encodeCursor } from '../service.ts';

export const Notification: NotificationResolvers = {
  __resolveReference: async ({ id }, { loaders, userId }) => {
    const row = await loaders.notificationById.load(id);
    // Only its recipient may see a notification, however it is reached.
    return row && row.recipientId === userId ? row : null;
  },
  cursor: (row) => encodeCursor(row.seq),
  recipient: (row) => ({ id: row.recipientId }),
  subject: (row) => (row.subjectType && row.subjectId ? { __typename: row.subjectType as SubjectType, id: row.subjectId } : null),
};

export const NotificationSubject: NotificationSubjectResolvers = {
  __resolveType: (subject) => subject.__typename as 'Team',
};
