/** Typed search attribute keys of the project workflow. */
import { defineSearchAttributeKey } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../domain/constants';

export const phaseKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.phase, 'KEYWORD');
export const ownerKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.owner, 'KEYWORD');
export const projectIdKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.projectId, 'KEYWORD');
export const spendKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.spendUsd, 'DOUBLE');
