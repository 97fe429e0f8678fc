// The prices the cost estimate uses: AWS list prices for us-east-1, without free tier, in US
// dollars. Source: the AWS pricing pages of each service (aws.amazon.com/<service>/pricing/), as
// read on 2026-11-26; DynamoDB's on-demand prices are those of its November 2024 reduction.
// Change a price here and every figure of bench/cost.bench.mjs follows.
export const PRICES = {
  source: 'AWS pricing pages (aws.amazon.com/<service>/pricing), us-east-1, no free tier',
  date: '2026-11-26',
  stepFunctions: {
    standardPerTransition: 0.025 / 1000,
    expressPerRequest: 1.0 / 1e6,
    expressPerGbSecond: 0.00001667,
    /** Express bills memory in 64 MB steps and duration in 100 ms steps. */
    expressMemoryGb: 64 / 1024,
  },
  lambda: {
    /** arm64 (Graviton), first tier. */
    perGbSecond: 0.0000133334,
    perRequest: 0.2 / 1e6,
  },
  dynamodb: {
    perWriteUnit: 0.625 / 1e6,
    perReadUnit: 0.125 / 1e6,
    storagePerGbMonth: 0.25,
    /** Point-in-time recovery (continuous backups), per GB-month of table size. */
    pitrPerGbMonth: 0.2,
  },
  cloudwatch: {
    perMetricMonth: 0.3,
    perDashboardMonth: 3.0,
    perAlarmMetricMonth: 0.1,
    logsPerGbIngested: 0.5,
  },
  kms: { perKeyMonth: 1.0 },
  eventbridge: { perEventPublished: 1.0 / 1e6 },
  scheduler: { perInvocation: 1.0 / 1e6 },
  xray: { perTraceRecorded: 5.0 / 1e6 },
};

/** Hours in a month as AWS bills them. */
export const HOURS_PER_MONTH = 730;
