import { DateTimeScalar } from '../../../lib/scalars.ts';
import type { Resolvers } from '../generated/resolvers.ts';
import { JoinRequest } from './JoinRequest.ts';
import { Mutation } from './Mutation.ts';
import { Query } from './Query.ts';
import { Team } from './Team.ts';
import { TeamConnection } from './TeamConnection.ts';
import { User } from './User.ts';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Team, TeamConnection, JoinRequest, User };
