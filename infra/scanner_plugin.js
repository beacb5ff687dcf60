// A local plugin: the template carries exactly what the chosen malware scanner needs
// (infra/scanner.js decides; README "Malware scanning").
// - `sls package` and `sls deploy` refuse a scanner they cannot wire (clamd without an address
//   or network settings, an unknown scanner, CLAMD_ADDRESS with another scanner, GuardDuty on
//   an existing bucket), before anything is packaged;
// - once the framework has merged serverless.yml's resources, the scanner's own are added:
//   clamd: the functions that scan (api inline, validate, and sweep, which runs the validator)
//     in the VPC (CloudFormation parameters defaulting to the CLAMD_* variables), the
//     permissions Lambda needs for their network interfaces, and the endpoints a function in a
//     private subnet needs for what it calls (an S3 gateway endpoint; an EventBridge interface
//     endpoint for decision events);
//   guardduty: the malware protection plan on incoming/ and its role (the policy of
//     GuardDuty's user guide, narrowed to this bucket and prefix, object tagging off), the
//     scan_result function's role, version permissions for the other roles (every version of
//     an upload's objects is removed), and on the bucket: versioning, its noncurrent-version
//     lifecycle rule, and EventBridge notifications (GuardDuty turns them on itself; declared
//     here so that a stack update that rewrites the bucket's notifications does not turn them
//     off again).
// The scan_result function and its rule come from serverless.yml (functions.scanResult).
'use strict';

const { decide } = require('./scanner');
const guardduty = require('./guardduty.json');
// The key layout, from the bucket settings serverless.yml reads too.
const PREFIXES = require('./bucket.json').prefixes;

const bucket = (path = '') => ({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::\${S3BucketUploads}${path}` });
const allow = (Sid, Action, Resource, extra = {}) => ({ Sid, Effect: 'Allow', Action, Resource, ...extra });
// The functions whose code streams bytes to clamd (the sweep runs the validator).
const SCANNING = [
  ['ApiLambdaFunction', 'ApiRole'],
  ['ValidateLambdaFunction', 'ValidateRole'],
  ['SweepLambdaFunction', 'SweepRole'],
];

function clamdResources(choice, roles) {
  const { network } = choice;
  const resources = {
    FunctionNetworkAccess: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: 'clamd-network-interfaces',
        Roles: roles.map((role) => ({ Ref: role })),
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            // Lambda's VPC permissions (its developer guide); Describe works only on "*".
            allow('DescribeNetwork', ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], '*'),
            allow(
              'ManageFunctionInterfaces',
              [
                'ec2:CreateNetworkInterface',
                'ec2:DeleteNetworkInterface',
                'ec2:AssignPrivateIpAddresses',
                'ec2:UnassignPrivateIpAddresses',
              ],
              { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:*/*' }
            ),
          ],
        },
      },
    },
  };
  if (network.endpoints === 'create') {
    Object.assign(resources, {
      // Functions in private subnets reach S3 through the route tables, without a NAT.
      S3GatewayEndpoint: {
        Type: 'AWS::EC2::VPCEndpoint',
        Properties: {
          VpcEndpointType: 'Gateway',
          VpcId: { Ref: 'ClamdVpcId' },
          ServiceName: { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.s3' },
          RouteTableIds: { Ref: 'ClamdRouteTableIds' },
        },
      },
      // Decision events (PutEvents) from inside the VPC.
      EventsInterfaceEndpoint: {
        Type: 'AWS::EC2::VPCEndpoint',
        Properties: {
          VpcEndpointType: 'Interface',
          VpcId: { Ref: 'ClamdVpcId' },
          ServiceName: { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.events' },
          SubnetIds: { Ref: 'ClamdSubnetIds' },
          SecurityGroupIds: [{ Ref: 'EndpointSecurityGroup' }],
          PrivateDnsEnabled: true,
        },
      },
      EndpointSecurityGroup: {
        Type: 'AWS::EC2::SecurityGroup',
        Properties: {
          GroupDescription: 'HTTPS from the upload functions to the EventBridge endpoint',
          VpcId: { Ref: 'ClamdVpcId' },
          SecurityGroupIngress: [
            {
              Description: 'HTTPS from the functions security group',
              IpProtocol: 'tcp',
              FromPort: 443,
              ToPort: 443,
              SourceSecurityGroupId: { Ref: 'ClamdSecurityGroupId' },
            },
          ],
          // An endpoint only answers; it opens nothing.
          SecurityGroupEgress: [{ Description: 'nothing outbound', IpProtocol: '-1', CidrIp: '127.0.0.1/32' }],
        },
      },
    });
  }
  const parameters = {
    ClamdVpcId: { Type: 'AWS::EC2::VPC::Id', Default: network.vpcId, Description: 'The VPC clamd runs in' },
    ClamdSubnetIds: {
      Type: 'List<AWS::EC2::Subnet::Id>',
      Default: network.subnetIds.join(','),
      Description: 'Private subnets for the functions (CLAMD_SUBNET_IDS)',
    },
    ClamdSecurityGroupId: {
      Type: 'AWS::EC2::SecurityGroup::Id',
      Default: network.securityGroupId,
      Description: "The functions' security group; clamd's must allow it on clamd's port",
    },
  };
  if (network.endpoints === 'create') {
    parameters.ClamdRouteTableIds = {
      Type: 'CommaDelimitedList',
      Default: network.routeTableIds.join(','),
      Description: "The subnets' route tables, for the S3 gateway endpoint",
    };
  }
  return { resources, parameters };
}

function addClamd(template, choice) {
  const present = SCANNING.filter(([fn]) => template.Resources[fn]);
  const { resources, parameters } = clamdResources(
    choice,
    present.map(([, role]) => role)
  );
  Object.assign(template.Resources, resources);
  template.Parameters = { ...(template.Parameters || {}), ...parameters };
  for (const [name] of present) {
    const fn = template.Resources[name];
    fn.Properties.VpcConfig = { SubnetIds: { Ref: 'ClamdSubnetIds' }, SecurityGroupIds: [{ Ref: 'ClamdSecurityGroupId' }] };
    // Lambda checks the role's network permissions when the function is created.
    fn.DependsOn = [...new Set([...[].concat(fn.DependsOn || []), 'FunctionNetworkAccess'])];
  }
}

function guarddutyResources() {
  const p = PREFIXES;
  const incoming = bucket(`/${p.incoming}*`);
  const files = bucket(`/${p.files}*`);
  const records = bucket(`/${p.records}*`);
  const owners = bucket(`/${p.owners}*`);
  const managedRule = {
    'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*',
  };
  // What versioning adds to a role that removes objects: every version of them (s3/versions.py).
  const versions = (Sid, Resource) => [
    allow('ListVersions', 's3:ListBucketVersions', bucket()),
    allow(Sid, 's3:DeleteObjectVersion', Resource),
  ];
  const policy = (name, role, Statement) => ({
    Type: 'AWS::IAM::Policy',
    Properties: { PolicyName: name, Roles: [{ Ref: role }], PolicyDocument: { Version: '2012-10-17', Statement } },
  });
  return {
    MalwareProtectionRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        Description: 'GuardDuty Malware Protection for S3 scans incoming/ of the upload bucket',
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'malware-protection-plan.guardduty.amazonaws.com' },
              Action: 'sts:AssumeRole',
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            },
          ],
        },
        Policies: [
          {
            PolicyName: 'malware-protection-for-s3',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                allow(
                  'AllowManagedRuleToSendS3EventsToGuardDuty',
                  ['events:PutRule', 'events:DeleteRule', 'events:PutTargets', 'events:RemoveTargets'],
                  managedRule,
                  { Condition: { StringLike: { 'events:ManagedBy': 'malware-protection-plan.guardduty.amazonaws.com' } } }
                ),
                allow('AllowGuardDutyToMonitorEventBridgeManagedRule', ['events:DescribeRule', 'events:ListTargetsByRule'], managedRule),
                allow('AllowEnableS3EventBridgeEvents', ['s3:PutBucketNotification', 's3:GetBucketNotification'], bucket()),
                allow('AllowPutValidationObject', 's3:PutObject', bucket('/malware-protection-resource-validation-object')),
                allow('AllowCheckBucketOwnership', 's3:ListBucket', bucket()),
                // Only what it scans: object versions under incoming/. Tagging is off (the
                // service reads results from EventBridge), so no tagging actions.
                allow('AllowMalwareScan', ['s3:GetObject', 's3:GetObjectVersion'], incoming),
              ],
            },
          },
        ],
      },
    },
    MalwareProtectionPlan: {
      Type: 'AWS::GuardDuty::MalwareProtectionPlan',
      Properties: {
        Role: { 'Fn::GetAtt': ['MalwareProtectionRole', 'Arn'] },
        ProtectedResource: { S3Bucket: { BucketName: { Ref: 'S3BucketUploads' }, ObjectPrefixes: [guardduty.prefix] } },
        Actions: { Tagging: { Status: 'DISABLED' } },
      },
    },
    // handler.scan_result: the decision's steps that GuardDuty's result runs (README "IAM"):
    // read and write the record, HEAD the object's current version, close the ledger entry,
    // publish, remove every version of incoming/ID and of served objects not served.
    ScanResultRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        Policies: [
          {
            PolicyName: 'scan-result',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                allow('Logs', ['logs:CreateLogStream', 'logs:PutLogEvents'], { 'Fn::GetAtt': ['ScanResultLogGroup', 'Arn'] }),
                allow('Traces', ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], '*'),
                // ListBucket: a missing key reads as 404, not 403; versions: what it removes.
                allow('ListObjectsAndVersions', ['s3:ListBucket', 's3:ListBucketVersions'], bucket()),
                allow(
                  'HeadAndRemoveIncoming',
                  ['s3:GetObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
                  incoming
                ),
                allow('RemoveUnservedObjects', ['s3:DeleteObject', 's3:DeleteObjectVersion'], files),
                allow('UploadRecords', ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging'], records),
                allow('OwnerUsage', ['s3:GetObject', 's3:PutObject'], owners),
                allow('DecisionEvents', 'events:PutEvents', { 'Fn::GetAtt': ['DecisionBus', 'Arn'] }),
                allow('ReportFailures', 'sqs:SendMessage', { 'Fn::GetAtt': ['ValidateFailuresQueue', 'Arn'] }),
              ],
            },
          },
        ],
      },
    },
    // The validator (and the sweep, which runs it) remove every version of incoming/ID and of
    // served objects nobody names; DELETE /uploads/ID removes every version of everything.
    ValidateVersionAccess: policy('object-versions', 'ValidateRole', versions('RemoveEveryVersion', [incoming, files])),
    SweepVersionAccess: policy('object-versions', 'SweepRole', versions('RemoveEveryVersion', [incoming, files])),
    ApiVersionAccess: policy(
      'object-versions',
      'ApiRole',
      versions('DeleteUploadsForGood', [incoming, files, records, owners])
    ),
  };
}

function addGuardDuty(template) {
  Object.assign(template.Resources, guarddutyResources());
  const props = template.Resources.S3BucketUploads.Properties;
  props.VersioningConfiguration = { Status: 'Enabled' };
  props.LifecycleConfiguration = props.LifecycleConfiguration || { Rules: [] };
  props.LifecycleConfiguration.Rules = [...props.LifecycleConfiguration.Rules, ...guardduty.lifecycle];
  props.NotificationConfiguration = { ...(props.NotificationConfiguration || {}), EventBridgeConfiguration: { EventBridgeEnabled: true } };
}

class ScannerPlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      // `initialize` runs first for every command: refuse before anything is packaged.
      initialize: () => this.check(),
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.addResources(),
    };
  }

  check() {
    const commands = (this.serverless.processedInput && this.serverless.processedInput.commands) || [];
    if (!['package', 'deploy'].includes(commands[0])) return;
    const { problems } = decide();
    if (problems.length) {
      throw new Error(`Refusing to ${commands[0]} a malware scanner it cannot wire: ${problems.join('; ')}`);
    }
  }

  addResources() {
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    const choice = decide();
    if (choice.scanner === 'clamd') addClamd(template, choice);
    if (choice.scanner === 'guardduty') addGuardDuty(template);
  }
}

module.exports = ScannerPlugin;
