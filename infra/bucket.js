// Which bucket a deployment uses (README: "Deploying", "Using an existing bucket"), decided
// from the environment when serverless.yml is resolved:
//   EXISTING_BUCKET=name -> the stack creates no bucket; it adds the validator's notification
//                           to that bucket (the framework's `existing: true` S3 event, a small
//                           custom resource) and the operator applies infra/bucket.json's CORS
//                           and lifecycle rules to it
//   UPLOAD_BUCKET=name   -> the stack creates the bucket with that name
//   neither              -> the stack creates a bucket named after the stack's own id
//                           (upload-service-<uuid of AWS::StackId>): unique per stack instance,
//                           so a deploy after `sls remove` (which keeps the old bucket and its
//                           data: DeletionPolicy Retain) creates a new one instead of failing on
//                           a name that is taken; no global name is fixed in advance.
'use strict';

function decide(env = process.env) {
  const existing = (env.EXISTING_BUCKET || '').trim();
  const named = (env.UPLOAD_BUCKET || '').trim();
  if (existing && named && existing !== named) {
    throw new Error(`EXISTING_BUCKET (${existing}) and UPLOAD_BUCKET (${named}) name different buckets: set one`);
  }
  if (existing) return { mode: 'existing', name: existing };
  if (named) return { mode: 'named', name: named };
  return { mode: 'generated', name: null };
}

const GENERATED = {
  'Fn::Join': ['-', ['upload-service', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }]],
};

module.exports = {
  decide,
  // ${file(./infra/bucket.js):name}: a string, or the CloudFormation expression of the generated name
  name: () => decide().name || GENERATED,
  // ${file(./infra/bucket.js):create}: 'true' unless an existing bucket is used (a template Condition)
  create: () => String(decide().mode !== 'existing'),
  // ${file(./infra/bucket.js):validateEvents}: the validate function's events. A bucket the
  // stack creates gets its notification in its own resource (serverless.yml); an existing one
  // through the framework's custom resource, which adds to the bucket's notifications.
  validateEvents: async ({ resolveVariable }) => {
    const choice = decide();
    if (choice.mode !== 'existing') return [];
    const notification = await resolveVariable('self:custom.bucket.notification');
    return [
      {
        s3: {
          bucket: choice.name,
          event: notification.event,
          rules: [{ prefix: notification.prefix }],
          existing: true,
        },
      },
    ];
  },
};
