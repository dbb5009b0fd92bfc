/** The GraphQL documents the pages use (schemas/graphql/schema.graphql) and their shapes. */

export type JobStatus = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
export type ProviderOrder = 'PRICE_ASC' | 'REPUTATION_DESC' | 'VRAM_DESC';

export interface SeriesPoint {
  at: string;
  seconds: number;
  amount: string;
}

export interface ProviderSummary {
  address: string;
  gpuType: string;
  vramGb: number;
  pricePerSecond: string;
  stake: string;
  isActive: boolean;
  registeredAt: string;
  lastHeartbeatAt: string | null;
  reputationBps: number;
  jobsCompleted: number;
  jobsFailed: number;
}

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface MarketplaceStats {
  providers: string;
  activeProviders: string;
  jobs: string;
  runningJobs: string;
  completedJobs: string;
  openStreams: string;
  totalEscrow: string;
  totalSettled: string;
  totalRefunded: string;
}

export interface StreamSettlement {
  version: string;
  cumulativeAmount: string;
  paidNow: string;
  paidTotal: string;
  settledAt: string;
}

export interface PaymentStream {
  jobId: string;
  ratePerSecond: string;
  escrow: string;
  /** Private to the job's buyer and provider: null for anyone else. */
  attestedSeconds: string | null;
  /** Private to the job's buyer and provider: null for anyone else. */
  vouchered: string | null;
  /** Private to the job's buyer and provider: null for anyone else. */
  accrued: string | null;
  settled: string;
  refunded: string;
  remaining: string;
  status: string;
  openedAt: string;
  closedAt: string | null;
}

export interface JobSummary {
  id: string;
  buyer: string;
  providerAddress: string;
  dockerImage: string;
  status: JobStatus;
  escrowAmount: string;
  maxDurationSecs: string;
  pricePerSecond: string;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  exitCode: string | null;
  reason: string;
  outputUrl: string | null;
  outputCid: string | null;
}

const PROVIDER_FIELDS = `
  address gpuType vramGb pricePerSecond stake isActive registeredAt lastHeartbeatAt
  reputationBps jobsCompleted jobsFailed
`;

const JOB_FIELDS = `
  id buyer providerAddress dockerImage status escrowAmount maxDurationSecs pricePerSecond
  createdAt startedAt endedAt exitCode reason outputUrl outputCid
`;

const STREAM_FIELDS = `
  jobId ratePerSecond escrow attestedSeconds vouchered accrued settled refunded remaining
  status openedAt closedAt
`;

export const MARKETPLACE = `
  query Marketplace($filter: ProviderFilter, $order: ProviderOrder, $first: Int, $after: String) {
    marketplaceStats {
      providers activeProviders jobs runningJobs completedJobs openStreams
      totalEscrow totalSettled totalRefunded
    }
    providers(filter: $filter, order: $order, first: $first, after: $after) {
      nodes { ${PROVIDER_FIELDS} }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

export interface MarketplaceData {
  marketplaceStats: MarketplaceStats;
  providers: { nodes: ProviderSummary[]; pageInfo: PageInfo };
}

export const PROVIDER_CONSOLE = `
  query ProviderConsole($address: String!, $minutes: SeriesRange, $hours: SeriesRange) {
    provider(address: $address) {
      ${PROVIDER_FIELDS}
      perMinute: earnings(range: $minutes) { at seconds amount }
      perHour: earnings(range: $hours) { at seconds amount }
      jobs(first: 20) {
        ${JOB_FIELDS}
        stream { settled accrued vouchered refunded status }
      }
    }
  }
`;

export interface ProviderConsoleData {
  provider:
    | (ProviderSummary & {
        perMinute: SeriesPoint[];
        perHour: SeriesPoint[];
        jobs: (JobSummary & {
          stream: Pick<PaymentStream, 'settled' | 'accrued' | 'vouchered' | 'refunded' | 'status'> | null;
        })[];
      })
    | null;
}

export const PROVIDER_FOR_JOB = `
  query ProviderForJob($address: String!) {
    provider(address: $address) { ${PROVIDER_FIELDS} }
  }
`;

export interface ProviderForJobData {
  provider: ProviderSummary | null;
}

/**
 * The provider's x402 endpoint (`Provider.endpoint`), asked on its own so that a gateway
 * without the field fails only this query.
 */
export const PROVIDER_ENDPOINT = `
  query ProviderEndpoint($address: String!) {
    provider(address: $address) { address endpoint }
  }
`;

export interface ProviderEndpointData {
  provider: { address: string; endpoint: string | null } | null;
}

export const JOB_VIEW = `
  query JobView($id: ID!, $range: SeriesRange) {
    job(id: $id) {
      ${JOB_FIELDS}
      evidence { meteringHead meteredSeconds version }
      provider { ${PROVIDER_FIELDS} }
      stream {
        ${STREAM_FIELDS}
        series(range: $range) { at seconds amount }
        settlements { version cumulativeAmount paidNow paidTotal settledAt }
      }
    }
  }
`;

/** What the provider committed on chain when the job ended (docs/DISPUTES.md). */
export interface JobEvidence {
  meteringHead: string;
  meteredSeconds: string;
  version: string;
}

/** The verdict on a job's evidence (`Job.evidence.verification`; `computestream verify`). */
export interface EvidenceVerification {
  holds: boolean;
  /** True once the verdict cannot change (stream closed, commitment on chain); ask again until it is. */
  final: boolean;
  signedSeconds: string;
  head: string;
  committedHead: string | null;
  committedSeconds: string | null;
  newestVoucher: string | null;
  paid: string;
  firstFailure: string | null;
  findings: string[];
}

/** Expensive on the gateway (it reads the job's records from the log): asked only once the evidence is committed. */
export const JOB_EVIDENCE_CHECK = `
  query JobEvidenceCheck($id: ID!) {
    job(id: $id) {
      id
      evidence {
        verification { holds final signedSeconds head committedHead committedSeconds newestVoucher paid firstFailure findings }
      }
    }
  }
`;

export interface JobEvidenceCheckData {
  job: { id: string; evidence: { verification: EvidenceVerification } | null } | null;
}

export interface JobViewData {
  job:
    | (JobSummary & {
        evidence: JobEvidence | null;
        provider: ProviderSummary | null;
        /** `series` is private to the job's buyer and provider: null for anyone else. */
        stream: (PaymentStream & { series: SeriesPoint[] | null; settlements: StreamSettlement[] }) | null;
      })
    | null;
}

export const JOB_BRIEF = `
  query JobBrief($id: ID!) {
    job(id: $id) {
      ${JOB_FIELDS}
      stream { ${STREAM_FIELDS} }
    }
  }
`;

export interface JobBriefData {
  job: (JobSummary & { stream: PaymentStream | null }) | null;
}

export const MY_JOBS = `
  query MyJobs($buyer: String!, $first: Int) {
    jobs(buyer: $buyer, first: $first) {
      nodes {
        ${JOB_FIELDS}
        stream { accrued vouchered settled refunded status }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

export interface MyJobsData {
  jobs: {
    nodes: (JobSummary & {
      stream: Pick<PaymentStream, 'accrued' | 'vouchered' | 'settled' | 'refunded' | 'status'> | null;
    })[];
    pageInfo: PageInfo;
  };
}

export const SUB_AVAILABILITY = `
  subscription Availability {
    providerAvailability { provider available source atMs }
  }
`;

export interface AvailabilityUpdate {
  provider: string;
  available: boolean;
  source: string;
  atMs: string;
}

export const SUB_PAYMENT_STREAM = `
  subscription PaymentStream($jobId: ID!) {
    paymentStream(jobId: $jobId) { kind jobId attestedSeconds accrued vouchered settled refunded atMs }
  }
`;

export interface PaymentStreamUpdate {
  kind: string;
  jobId: string;
  /** Private to the job's buyer and provider: null for anyone else (who gets no ticks or vouchers). */
  attestedSeconds: string | null;
  accrued: string | null;
  vouchered: string | null;
  settled: string;
  refunded: string;
  atMs: string;
}

export const SUB_JOB_STATUS = `
  subscription JobStatus($jobId: ID!) {
    jobStatus(jobId: $jobId) { jobId from to reason atMs }
  }
`;

export interface JobStatusUpdate {
  jobId: string;
  from: string;
  to: string;
  reason: string;
  atMs: string;
}

export const SUB_MARKET_EVENTS = `
  subscription MarketEvents {
    marketplaceEvents { kind key atMs }
  }
`;

export interface MarketEvent {
  kind: string;
  key: string;
  atMs: string;
}
