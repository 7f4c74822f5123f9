/**
 * The envelope every Berth object shares, Kubernetes style: apiVersion, kind,
 * metadata, spec (desired state, written by people and pipelines) and status
 * (observed state, written only by the reconciler through the status path).
 *
 * These types are the contract between the registry, the reconciler and the
 * gateway. The JSON Schemas in `schemas/` are the source of truth for `spec`;
 * `types.ts` holds the spec types and a test keeps them in step with the schemas.
 */
import type { StageApproval } from './types.ts';

/** The only API version this build understands. */
export const API_VERSION = 'berth.dev/v1alpha1' as const;

/** Every kind the registry stores. */
export const KINDS = ['MCPServer', 'AccessPolicy'] as const;
/** A kind the registry stores. */
export type Kind = (typeof KINDS)[number];

/** URL path segment (plural, lower case) of each kind in the registry API. */
export const KIND_PLURALS: Readonly<Record<Kind, string>> = {
  MCPServer: 'mcpservers',
  AccessPolicy: 'accesspolicies',
};

/**
 * Object metadata. `name`, `labels` and `annotations` are the user's; every other
 * field is set by the registry and is rejected (or ignored on apply) when a user sends it.
 */
export interface ObjectMeta {
  /** DNS label: lower-case letters, digits and '-', 1–63 characters, starting with a letter. */
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Opaque unique id assigned at creation; a re-created object gets a new one. */
  uid?: string;
  /** Bumped by the registry only when `spec` changes. Starts at 1. */
  generation?: number;
  /**
   * Decimal string of the global, monotonically increasing change counter at the
   * object's last write. Sent back on update for optimistic concurrency.
   */
  resourceVersion?: string;
  /** RFC 3339 time of creation. */
  creationTimestamp?: string;
  /** RFC 3339 time a delete was requested while finalizers remained. */
  deletionTimestamp?: string;
  /** Names of controllers that must clean up before the object may be removed. */
  finalizers?: string[];
  /** MCPServers only, set by the registry only (`berth approve` / `berth reject`); newest last. */
  approvals?: StageApproval[];
  /** Only on a read whose env values the registry redacted: the hashes of the unredacted spec (approval-hash.ts). Never stored. */
  specHashes?: { review: string; code: string };
}

/** Condition status, as in Kubernetes. */
export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** One observed condition of an object (see `conditions.ts` for the types and reasons used). */
export interface Condition {
  type: string;
  status: ConditionStatus;
  /** CamelCase machine-readable reason. */
  reason: string;
  /** Human-readable sentence saying what is wrong and, where it can, what to do. */
  message: string;
  /** RFC 3339 time the status last changed (not the time of the last write). */
  lastTransitionTime: string;
  /** The generation of the spec this condition was computed from. */
  observedGeneration?: number;
}

/** A stored or submitted object of some kind. */
export interface Resource<Spec = unknown, Status = unknown> {
  apiVersion: typeof API_VERSION;
  kind: Kind;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}
