import { DateTimeScalar } from '../../../lib/scalars.ts';
import type { Resolvers } from '../generated/resolvers.ts';
import { Mutation } from './Mutation.ts';
import { Query } from './Query.ts';
import { Quiz } from './Quiz.ts';
import { QuizAttempt } from './QuizAttempt.ts';
import { User } from './User.ts';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Quiz, QuizAttempt, User };
