/**
 * Every lifecycle event as one structured log line (through the domain's Logger port; in the
 * server that is pino, whose redaction applies). Deployments are named by id, model group and
 * upstream model, so a line reads without a lookup; webhook endpoints appear without their query
 * string or credentials, and no secret is ever part of an event.
 */
import type { Deployment } from '../deployment.js';
import type { EventSink, LifecycleEvent } from '../ports/event-sink.js';
import type { Logger } from '../ports/logger.js';

/** The lookup the sink names deployments with (`DeploymentDirectory` is one). */
export interface DeploymentNames {
  byId(id: string): Deployment | undefined;
}

export interface NamedDeployment {
  readonly id: string;
  /** Null when the deployment is no longer configured. */
  readonly group: string | null;
  readonly model: string | null;
}

const noDeployments: DeploymentNames = { byId: () => undefined };

export class LogEventSink implements EventSink {
  constructor(
    private readonly logger: Logger,
    private readonly deployments: DeploymentNames = noDeployments,
  ) {}

  emit(event: LifecycleEvent): Promise<void> {
    try {
      const line = this.lineOf(event);
      if (event.type === 'webhook.given_up') this.logger.warn(line, event.type);
      else this.logger.info(line, event.type);
    } catch {
      // A log line is never worth failing a lifecycle step for.
    }
    return Promise.resolve();
  }

  /** The fields of the line: the event itself, its time as ISO, and deployments by name. */
  lineOf(event: LifecycleEvent): Record<string, unknown> {
    const base = { event: event.type, at: new Date(event.at).toISOString() };
    switch (event.type) {
      case 'file.uploaded': {
        const { type: _type, at: _at, deploymentIds, ...rest } = event;
        return { ...base, ...rest, deployments: deploymentIds.map((id) => this.name(id)) };
      }
      case 'batch.created':
      case 'batch.status_changed':
      case 'batch.finished': {
        const { type: _type, at: _at, deploymentId, ...rest } = event;
        return { ...base, ...rest, deployment: this.name(deploymentId) };
      }
      case 'webhook.delivered':
      case 'webhook.given_up': {
        const { type: _type, at: _at, ...rest } = event;
        return { ...base, ...rest };
      }
    }
  }

  private name(id: string): NamedDeployment {
    const d = this.deployments.byId(id);
    return { id, group: d?.modelGroup ?? null, model: d === undefined ? null : `${d.provider}/${d.upstreamModel}` };
  }
}
