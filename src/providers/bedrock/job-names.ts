/**
 * The gateway batch id (`batch_…`) ↔ Bedrock's `jobName` and `clientRequestToken`.
 *
 * `jobName` must match `[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\+\-\.]){0,63}`: no `_`. The label is
 * written after a `batchgate-` prefix (so our jobs are told apart from others in the account)
 * with `_` → `-` and `-` → `+`, which makes the mapping reversible for any label of letters,
 * digits, `_`, `-` and `.`. `clientRequestToken` (`[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}`)
 * only needs to be stable per label and deployment: Bedrock answers a repeated create with the
 * same job, and the deployment's hash keeps a batch placed again on another deployment of the
 * same account (another model) from being answered with the first one's job.
 */
import { createHash } from 'node:crypto';

const PREFIX = 'batchgate-';
const MAX_JOB_NAME = 63;

export const jobNameOf = (label: string): string => {
  const encoded = label.replace(/[^A-Za-z0-9_.-]/g, '.').replace(/-/g, '+').replace(/_/g, '-');
  return `${PREFIX}${encoded}`.slice(0, MAX_JOB_NAME);
};

export const labelOfJobName = (jobName: string | null): string | null => {
  if (jobName === null || !jobName.startsWith(PREFIX)) return null;
  const label = jobName.slice(PREFIX.length).replace(/-/g, '_').replace(/\+/g, '-');
  return label === '' ? null : label;
};

export const clientRequestTokenOf = (label: string, deploymentId: string): string => {
  const scope = createHash('sha256').update(deploymentId).digest('hex').slice(0, 8);
  const token = `${PREFIX}${label}`.replace(/[^A-Za-z0-9]+/g, '-').replace(/-+$/, '').slice(0, 200);
  return `${token}-${scope}`;
};
