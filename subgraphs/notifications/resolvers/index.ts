import { DateTimeScalar } from '../../../lib/scalars.ts';
import type { Resolvers } from '../generated/resolvers.ts';
import { Mutation } from './Mutation.ts';
import { Notification, NotificationSubject } from './Notification.ts';
import { Query } from './Query.ts';
import { Subscription } from './Subscription.ts';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Subscription, Notification, NotificationSubject };
