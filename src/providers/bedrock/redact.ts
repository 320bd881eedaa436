/**
 * Removes AWS resource names from text an upstream wrote before it becomes an error message or an
 * error line: job and role ARNs, `s3://` URIs, S3 hosts, account ids, and the deployment's own
 * bucket names and object keys. Bedrock and S3 quote all of them back ("Unable to access
 * s3://bucket/key", "… arn:aws:iam::123456789012:role/x …"); a client must see none, so each is
 * replaced by words that still say what was meant.
 */

const RULES: ReadonlyArray<readonly [RegExp, string]> = [
  [/arn:aws[a-z-]*:iam::[^\s"',)]*/gi, 'the batch role'],
  [/arn:aws[a-z-]*:bedrock:[^\s"',)]*model-invocation-job[^\s"',)]*/gi, 'the batch job'],
  [/arn:aws[a-z-]*:kms:[^\s"',)]*/gi, 'the encryption key'],
  [/arn:[^\s"',)]*/gi, 'the resource'],
  [/s3:\/\/[^\s"',)]*/gi, 'the S3 location'],
  [/https?:\/\/[^\s"',)]*/gi, 'the endpoint'],
  [/[A-Za-z0-9.-]*\.amazonaws\.com[^\s"',)]*/gi, 'the endpoint'],
  [/\b\d{12}\b/g, 'the account'],
];

/** Objects the gateway writes: their keys name the gateway's own ids and the client's file name. */
const GATEWAY_KEY = /[^\s"',)]*batchgate(?:-out)?\/[^\s"',)]*/g;

export const redactAwsText = (text: string, names: readonly string[]): string => {
  let out = text;
  for (const [rule, words] of RULES) out = out.replace(rule, words);
  out = out.replace(GATEWAY_KEY, 'the object');
  // Longest first, so a bucket whose name contains another's is replaced whole.
  for (const name of [...names].filter((n) => n.length >= 3).sort((a, b) => b.length - a.length)) {
    out = out.split(name).join('the bucket');
  }
  return out;
};
