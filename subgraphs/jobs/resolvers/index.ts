import { DateScalar, DateTimeScalar } from '../../../lib/scalars.ts';
import type { Resolvers } from '../generated/resolvers.ts';
import { Contract } from './Contract.ts';
import { Job } from './Job.ts';
import { JobConnection } from './JobConnection.ts';
import { Mutation } from './Mutation.ts';
import { Proposal } from './Proposal.ts';
import { Query } from './Query.ts';
import { User } from './User.ts';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Date: DateScalar, Query, Mutation, Job, JobConnection, Proposal, Contract, User };
