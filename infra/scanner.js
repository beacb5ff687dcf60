// Which malware scanner a deployment wires (README "Malware scanning"), decided from the
// environment when serverless.yml is resolved, as upload_core/config.py decides at start-up:
//   MALWARE_SCANNER=none       nothing to wire
//   MALWARE_SCANNER=clamd      (the default when CLAMD_ADDRESS is set) CLAMD_ADDRESS reaches the
//                              functions, and the ones that scan (api, validate, sweep) join the
//                              VPC clamd runs in: CLAMD_VPC_ID, CLAMD_SUBNET_IDS,
//                              CLAMD_SECURITY_GROUP_ID, and CLAMD_ROUTE_TABLE_IDS for the S3
//                              gateway endpoint (CLAMD_VPC_ENDPOINTS=existing when the VPC has
//                              its S3 and EventBridge endpoints already)
//   MALWARE_SCANNER=guardduty  GuardDuty Malware Protection for S3 on incoming/, its role, the
//                              scan_result function with its rule, and a versioned bucket (one
//                              the stack creates: an EXISTING_BUCKET cannot be versioned by it)
// infra/scanner_plugin.js refuses to package or deploy a choice it cannot wire, and adds the
// chosen scanner's resources to the template; this file also answers serverless.yml's
// ${file(./infra/scanner.js):...} lookups.
'use strict';

const guardduty = require('./guardduty.json');

const SCANNERS = ['none', 'clamd', 'guardduty'];
const MAX_SCAN_RESULT_TIMEOUT_SECONDS = 86400; // upload_core/config.py's bound
const list = (value) =>
  (value || '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

function decide(env = process.env) {
  const address = (env.CLAMD_ADDRESS || '').trim();
  const scanner = (env.MALWARE_SCANNER || '').trim().toLowerCase() || (address ? 'clamd' : 'none');
  const network = {
    vpcId: (env.CLAMD_VPC_ID || '').trim(),
    subnetIds: list(env.CLAMD_SUBNET_IDS),
    securityGroupId: (env.CLAMD_SECURITY_GROUP_ID || '').trim(),
    routeTableIds: list(env.CLAMD_ROUTE_TABLE_IDS),
    endpoints: (env.CLAMD_VPC_ENDPOINTS || 'create').trim().toLowerCase(),
  };
  const timeout = (env.SCAN_RESULT_TIMEOUT_SECONDS || '').trim();
  const problems = [];
  if (!SCANNERS.includes(scanner)) {
    problems.push(`MALWARE_SCANNER must be one of ${SCANNERS.join(', ')}, not ${JSON.stringify(scanner)}`);
  } else if (scanner === 'clamd') {
    if (!/^.+:\d{1,5}$/.test(address)) problems.push('MALWARE_SCANNER=clamd needs CLAMD_ADDRESS=host:port');
    if (!network.vpcId) problems.push('MALWARE_SCANNER=clamd needs CLAMD_VPC_ID (the VPC clamd runs in)');
    if (!network.subnetIds.length) problems.push('MALWARE_SCANNER=clamd needs CLAMD_SUBNET_IDS (comma-separated)');
    if (!network.securityGroupId) {
      problems.push('MALWARE_SCANNER=clamd needs CLAMD_SECURITY_GROUP_ID (the functions\' group, allowed to clamd)');
    }
    if (!['create', 'existing'].includes(network.endpoints)) {
      problems.push(`CLAMD_VPC_ENDPOINTS must be create or existing, not ${JSON.stringify(network.endpoints)}`);
    } else if (network.endpoints === 'create' && !network.routeTableIds.length) {
      problems.push('MALWARE_SCANNER=clamd needs CLAMD_ROUTE_TABLE_IDS for the S3 gateway endpoint '
        + '(or CLAMD_VPC_ENDPOINTS=existing)');
    }
  } else if (address) {
    problems.push(`CLAMD_ADDRESS is set, but MALWARE_SCANNER=${scanner} would not use it; unset one`);
  }
  if (scanner === 'guardduty') {
    if ((env.EXISTING_BUCKET || '').trim()) {
      problems.push('MALWARE_SCANNER=guardduty needs a versioned bucket the stack creates; EXISTING_BUCKET is not '
        + "the stack's to version (README \"Malware scanning\")");
    }
    if (timeout && !(/^\d+$/.test(timeout) && Number(timeout) >= 1 && Number(timeout) <= MAX_SCAN_RESULT_TIMEOUT_SECONDS)) {
      problems.push(`SCAN_RESULT_TIMEOUT_SECONDS must be between 1 and ${MAX_SCAN_RESULT_TIMEOUT_SECONDS}, not ${timeout}`);
    }
  }
  return { scanner, address, network, timeout: timeout || '3600', problems };
}

// The scan_result function (MALWARE_SCANNER=guardduty): GuardDuty's results for this bucket's
// incoming/ from the default bus (the bucket is the stack's own in this mode, so its name is a
// Ref, whatever infra/bucket.js named it). No schedule of its own: the sweep's keeps the deadline.
function scanResultFunction() {
  return {
    handler: 'handler.scan_result',
    description: "GuardDuty's scan results, paired with the structure verdict in the upload's decision",
    role: 'ScanResultRole',
    // It reads and writes small records, HEADs the object and removes versions: no bytes.
    memorySize: 256,
    timeout: 60,
    // Opt-in, like the other functions' (README "Quotas a first deploy needs").
    reservedConcurrency: process.env.SCAN_RESULT_RESERVED_CONCURRENCY
      ? Number(process.env.SCAN_RESULT_RESERVED_CONCURRENCY)
      : null,
    // EventBridge invokes asynchronously: two retries, then the failure queue (alarmed).
    maximumRetryAttempts: 2,
    maximumEventAge: 21600,
    destinations: { onFailure: { type: 'sqs', arn: { 'Fn::GetAtt': ['ValidateFailuresQueue', 'Arn'] } } },
    events: [
      {
        eventBridge: {
          pattern: {
            source: ['aws.guardduty'],
            'detail-type': ['GuardDuty Malware Protection Object Scan Result'],
            detail: {
              s3ObjectDetails: { bucketName: [{ Ref: 'S3BucketUploads' }], objectKey: [{ prefix: guardduty.prefix }] },
            },
          },
        },
      },
    ],
  };
}

module.exports = {
  decide,
  SCANNERS,
  scanResultFunction,
  // ${file(./infra/scanner.js):scanner}: MALWARE_SCANNER as the functions get it
  scanner: () => decide().scanner,
  // ${file(./infra/scanner.js):clamdAddress}: empty unless clamd is the scanner
  clamdAddress: () => (decide().scanner === 'clamd' ? decide().address : ''),
  // ${file(./infra/scanner.js):scanResultTimeout}: GuardDuty's deadline (Config's default otherwise)
  scanResultTimeout: () => decide().timeout,
  // ${file(./infra/scanner.js):scanResult, null}: the scan_result function, or nothing (null:
  // the framework drops a function defined as null)
  scanResult: () => (decide().scanner === 'guardduty' ? scanResultFunction() : null),
};
