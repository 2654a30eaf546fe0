import type { ContractRow } from './db/schema.ts';
import type { ProposalRecord } from './models.ts';

/**
 * Who may see what. Jobs are public; a proposal belongs to its freelancer and the job's client, a
 * contract to its two parties. For anyone else they do not exist: queries answer null, mutations NOT_FOUND.
 */

export function isProposalParty(proposal: ProposalRecord, userId: string | null): boolean {
  return userId !== null && (proposal.freelancerId === userId || proposal.clientId === userId);
}

export function isContractParty(contract: ContractRow, userId: string | null): boolean {
  return userId !== null && (contract.freelancerId === userId || contract.clientId === userId);
}
