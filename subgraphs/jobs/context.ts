import type { RequestContext } from '../../lib/subgraph.ts';
import type { JobLoaders } from './loaders.ts';
import type { JobsReads } from './reads.ts';
import type { JobsService } from './service.ts';

export interface Context extends RequestContext {
  jobs: JobsService;
  reads: JobsReads;
  loaders: JobLoaders;
}
