/**
 * Fake ECS task definitions: families whose revisions only go up, ACTIVE →
 * INACTIVE on deregister, tags stored from the register call, and — the part
 * that makes naive diffs loop — a returned definition with AWS's defaults filled
 * in (essential=true, hostPort=containerPort under awsvpc, protocol tcp, empty
 * arrays, cpu/memory as strings, environment reordered).
 */
import {
  ClientException,
  InvalidParameterException,
  type ContainerDefinition,
  type KeyValuePair,
  type Tag,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { ACCOUNT_ID, REGION, clone, page, type World } from './common.ts';
import { awsError } from './errors.ts';

/** One stored revision. */
export interface TaskDefinitionState {
  arn: string;
  family: string;
  revision: number;
  definition: TaskDefinition;
  tags: Tag[];
  visibleAt: number;
}

/** Fargate's valid task cpu → memory (MiB) combinations. */
const FARGATE_MEMORY: Record<string, number[]> = {
  '256': [512, 1024, 2048],
  '512': range(1024, 4096, 1024),
  '1024': range(2048, 8192, 1024),
  '2048': range(4096, 16384, 1024),
  '4096': range(8192, 30720, 1024),
  '8192': range(16384, 61440, 4096),
  '16384': range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/** The registry of task definition families. */
export class TaskDefinitions {
  readonly #world: World;
  readonly #byArn = new Map<string, TaskDefinitionState>();
  /** Highest revision ever registered per family: revisions are never reused. */
  readonly #lastRevision = new Map<string, number>();

  constructor(world: World) {
    this.#world = world;
  }

  /** Resolves "family", "family:rev" or a full ARN. `family` alone means its latest ACTIVE revision. */
  resolve(ref: string, options: { includeInvisible?: boolean } = {}): TaskDefinitionState | undefined {
    const visible = (td: TaskDefinitionState): boolean => options.includeInvisible === true || td.visibleAt <= this.#world.now();
    if (ref.startsWith('arn:')) {
      const td = this.#byArn.get(ref);
      return td && visible(td) ? td : undefined;
    }
    const [family, rev] = ref.split(':');
    if (rev !== undefined) {
      const td = this.#byArn.get(arnOf(family!, Number(rev)));
      return td && visible(td) ? td : undefined;
    }
    let latest: TaskDefinitionState | undefined;
    for (const td of this.#byArn.values()) {
      if (td.family === family && td.definition.status === 'ACTIVE' && visible(td) && (!latest || td.revision > latest.revision)) latest = td;
    }
    return latest;
  }

  /** Every stored revision (for snapshots). */
  all(): TaskDefinitionState[] {
    return [...this.#byArn.values()];
  }

  /** The stored revision with this ARN (tags live on it). */
  byArn(arn: string): TaskDefinitionState | undefined {
    return this.#byArn.get(arn);
  }

  /** RegisterTaskDefinition. */
  register(input: {
    family?: string;
    containerDefinitions?: ContainerDefinition[];
    cpu?: string;
    memory?: string;
    networkMode?: string;
    requiresCompatibilities?: string[];
    executionRoleArn?: string;
    taskRoleArn?: string;
    runtimePlatform?: TaskDefinition['runtimePlatform'];
    volumes?: TaskDefinition['volumes'];
    tags?: Tag[];
  }): { taskDefinition: TaskDefinition; tags: Tag[] } {
    const family = input.family ?? '';
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(family)) {
      throw awsError(ClientException, `Family contains invalid characters or is longer than 255 characters: '${family}'`);
    }
    const containers = input.containerDefinitions ?? [];
    if (containers.length === 0) throw awsError(ClientException, 'Container list cannot be empty.');
    const networkMode = input.networkMode ?? 'bridge';
    const fargate = (input.requiresCompatibilities ?? []).includes('FARGATE');
    const cpu = normaliseCpu(input.cpu);
    const memory = normaliseMemory(input.memory);
    if (fargate) {
      if (networkMode !== 'awsvpc') throw awsError(ClientException, 'Fargate only supports network mode ‘awsvpc’.');
      if (cpu === undefined || memory === undefined) throw awsError(ClientException, 'Fargate requires task definition to have execution role ARN to support log driver awslogs; and cpu and memory to be specified at the task level.');
      if (!FARGATE_MEMORY[cpu]?.includes(Number(memory))) {
        throw awsError(ClientException, `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid combinations.`);
      }
    }
    const names = new Set<string>();
    const normalised = containers.map((c) => {
      if (!c.name) throw awsError(ClientException, 'Container.name should not be null or empty.');
      if (!c.image) throw awsError(ClientException, 'Container.image should not be null or empty.');
      if (names.has(c.name)) throw awsError(ClientException, `Duplicate container name: ${c.name}`);
      names.add(c.name);
      return normaliseContainer(c, networkMode);
    });
    if (!normalised.some((c) => c.essential)) throw awsError(ClientException, 'Invalid setting for container. At least one container in the task definition must be essential.');
    const tags = (input.tags ?? []).map((t) => ({ key: t.key, value: t.value ?? '' }));
    if (tags.length > 50) throw awsError(InvalidParameterException, 'A resource can have at most 50 tags.');

    const revision = (this.#lastRevision.get(family) ?? 0) + 1;
    this.#lastRevision.set(family, revision);
    const arn = arnOf(family, revision);
    const definition: TaskDefinition = {
      taskDefinitionArn: arn,
      containerDefinitions: normalised,
      family,
      ...(input.taskRoleArn ? { taskRoleArn: input.taskRoleArn } : {}),
      ...(input.executionRoleArn ? { executionRoleArn: input.executionRoleArn } : {}),
      networkMode: networkMode as TaskDefinition['networkMode'],
      revision,
      volumes: clone(input.volumes ?? []),
      status: 'ACTIVE',
      requiresAttributes: requiredAttributes(normalised, networkMode, input.executionRoleArn),
      placementConstraints: [],
      compatibilities: networkMode === 'awsvpc' ? ['EC2', 'FARGATE'] : ['EC2'],
      ...(input.runtimePlatform ? { runtimePlatform: clone(input.runtimePlatform) } : {}),
      ...(input.requiresCompatibilities ? { requiresCompatibilities: [...input.requiresCompatibilities] as TaskDefinition['requiresCompatibilities'] } : {}),
      ...(cpu !== undefined ? { cpu } : {}),
      ...(memory !== undefined ? { memory } : {}),
      registeredAt: new Date(this.#world.now()),
      registeredBy: `arn:aws:sts::${ACCOUNT_ID}:assumed-role/berth-reconciler/fake`,
    };
    this.#byArn.set(arn, { arn, family, revision, definition, tags, visibleAt: this.#world.now() + this.#world.readAfterWriteDelayMs() });
    return { taskDefinition: clone(definition), tags: clone(tags) };
  }

  /** DeregisterTaskDefinition: ACTIVE → INACTIVE (the revision stays describable). */
  deregister(input: { taskDefinition?: string }): { taskDefinition: TaskDefinition } {
    const ref = input.taskDefinition ?? '';
    if (!ref.startsWith('arn:') && !ref.includes(':')) {
      throw awsError(ClientException, 'The specified task definition identifier is invalid. Specify a valid revision: family:revision or a full ARN.');
    }
    const td = this.resolve(ref, { includeInvisible: true });
    if (!td) throw awsError(ClientException, 'The specified task definition does not exist.');
    if (td.definition.status === 'ACTIVE') {
      td.definition.status = 'INACTIVE';
      td.definition.deregisteredAt = new Date(this.#world.now());
    }
    return { taskDefinition: clone(td.definition) };
  }

  /** DescribeTaskDefinition (include TAGS). */
  describe(input: { taskDefinition?: string; include?: string[] }): { taskDefinition: TaskDefinition; tags?: Tag[] } {
    const td = this.resolve(input.taskDefinition ?? '');
    if (!td) throw awsError(ClientException, 'Unable to describe task definition.');
    return { taskDefinition: clone(td.definition), ...(input.include?.includes('TAGS') ? { tags: clone(td.tags) } : {}) };
  }

  /** ListTaskDefinitions: `familyPrefix` is the FULL family name (as in AWS), status ACTIVE by default, sort ASC by default. */
  list(input: { familyPrefix?: string; status?: string; sort?: string; nextToken?: string; maxResults?: number }): { taskDefinitionArns: string[]; nextToken?: string } {
    const status = input.status ?? 'ACTIVE';
    const max = input.maxResults ?? 100;
    if (max < 1 || max > 100) throw awsError(InvalidParameterException, 'maxResults must be between 1 and 100.');
    const now = this.#world.now();
    const matches = [...this.#byArn.values()]
      .filter((td) => td.visibleAt <= now && td.definition.status === status && (input.familyPrefix === undefined || td.family === input.familyPrefix))
      .sort((a, b) => (a.family === b.family ? a.revision - b.revision : a.family < b.family ? -1 : 1));
    if (input.sort === 'DESC') matches.reverse();
    const { items, next } = page(matches, (td) => td.arn, input.nextToken, max);
    return { taskDefinitionArns: items.map((td) => td.arn), ...(next ? { nextToken: next } : {}) };
  }
}

/** ARN of a task definition revision. */
export function arnOf(family: string, revision: number): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task-definition/${family}:${revision}`;
}

/** "1 vCPU" → "1024", 512 → "512": AWS stores task cpu as CPU units in a string. */
function normaliseCpu(cpu: string | undefined): string | undefined {
  if (cpu === undefined) return undefined;
  const vcpu = /^\s*([\d.]+)\s*vcpu\s*$/i.exec(cpu);
  return vcpu ? String(Math.round(Number(vcpu[1]) * 1024)) : String(Number(cpu));
}

/** "2 GB" → "2048", "512" → "512": AWS stores task memory as MiB in a string. */
function normaliseMemory(memory: string | undefined): string | undefined {
  if (memory === undefined) return undefined;
  const gb = /^\s*([\d.]+)\s*gb\s*$/i.exec(memory);
  return gb ? String(Math.round(Number(gb[1]) * 1024)) : String(Number(memory));
}

function normaliseContainer(c: ContainerDefinition, networkMode: string): ContainerDefinition {
  const portMappings = (c.portMappings ?? []).map((p) => {
    if (p.containerPort === undefined) throw awsError(ClientException, `Container.portMappings.containerPort should not be null for container ${c.name}.`);
    if (networkMode === 'awsvpc' && p.hostPort !== undefined && p.hostPort !== p.containerPort) {
      throw awsError(ClientException, 'When networkMode=awsvpc, the host ports and container ports in port mappings must match.');
    }
    return {
      ...(p.name !== undefined ? { name: p.name } : {}),
      containerPort: p.containerPort,
      hostPort: networkMode === 'awsvpc' ? p.containerPort : (p.hostPort ?? 0),
      protocol: p.protocol ?? 'tcp',
      ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}),
    };
  });
  // AWS hands environment variables back in its own order, not the caller's.
  const environment: KeyValuePair[] = [...(c.environment ?? [])].sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : 0));
  const out: ContainerDefinition = {
    ...clone(c),
    cpu: c.cpu ?? 0,
    portMappings,
    essential: c.essential ?? true,
    environment,
    environmentFiles: clone(c.environmentFiles ?? []),
    mountPoints: clone(c.mountPoints ?? []),
    volumesFrom: clone(c.volumesFrom ?? []),
    systemControls: clone(c.systemControls ?? []),
  };
  if (c.healthCheck) {
    out.healthCheck = { interval: 30, timeout: 5, retries: 3, ...clone(c.healthCheck) };
  }
  if (c.logConfiguration) {
    out.logConfiguration = { ...clone(c.logConfiguration), secretOptions: clone(c.logConfiguration.secretOptions ?? []) };
  }
  return out;
}

function requiredAttributes(containers: ContainerDefinition[], networkMode: string, executionRoleArn: string | undefined): TaskDefinition['requiresAttributes'] {
  const names = ['com.amazonaws.ecs.capability.docker-remote-api.1.18'];
  if (networkMode === 'awsvpc') names.push('ecs.capability.task-eni');
  if (executionRoleArn) names.push('ecs.capability.execution-role-awslogs');
  if (containers.some((c) => c.logConfiguration?.logDriver === 'awslogs')) names.push('com.amazonaws.ecs.capability.logging-driver.awslogs');
  if (containers.some((c) => c.healthCheck)) names.push('ecs.capability.container-health-check');
  if (containers.some((c) => c.secrets?.length)) names.push('ecs.capability.secrets.asm.environment-variables');
  return names.map((name) => ({ name }));
}
