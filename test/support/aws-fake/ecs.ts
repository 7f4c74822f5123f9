/**
 * Fake Amazon ECS (Fargate, rolling deployments): services with their real
 * lifecycle (the brief MISSING after create, ACTIVE → DRAINING → INACTIVE,
 * name reuse blocked while DRAINING), CreateService clientToken idempotency,
 * deployments (PRIMARY/ACTIVE/INACTIVE with rolloutState) and the deployment
 * circuit breaker with rollback, tasks that start, register as load-balancer
 * targets, turn healthy or fail with simulated time — plus task definitions
 * (see ecs-task-definitions.ts) and tags.
 */
import {
  ClientException,
  ClusterNotFoundException,
  InvalidParameterException,
  ResourceNotFoundException,
  ServiceNotActiveException,
  ServiceNotFoundException,
  type ContainerDefinition,
  type Deployment,
  type DeploymentConfiguration,
  type Failure,
  type LoadBalancer,
  type NetworkConfiguration,
  type Service,
  type ServiceEvent,
  type Tag,
  type Task,
} from '@aws-sdk/client-ecs';
import { ACCOUNT_ID, REGION, canonicalJson, clone, page, type World } from './common.ts';
import type { Elbv2Fake } from './elbv2.ts';
import { awsError } from './errors.ts';
import { TaskDefinitions, type TaskDefinitionState } from './ecs-task-definitions.ts';

/** Simulated durations of ECS's own machinery (ms of fake time). */
export interface EcsTimings {
  /** DescribeServices reports MISSING for this long after CreateService. Default 2 000. */
  missingAfterCreateMs: number;
  /** PROVISIONING → PENDING. Default 5 000. */
  provisioningMs: number;
  /** PENDING (image pull, ENI) → RUNNING. Default 15 000. */
  pendingMs: number;
  /** STOPPING → STOPPED (after any target draining). Default 5 000. */
  stoppingMs: number;
  /** A task of a crashing image exits this long after RUNNING. Default 10 000. */
  crashAfterRunningMs: number;
  /** A DRAINING service with no tasks left turns INACTIVE after at least this long. Default 10 000. */
  minDrainingMs: number;
  /** INACTIVE services stay describable this long, then are gone (MISSING). Default 1 h. */
  inactiveRetentionMs: number;
  /** STOPPED tasks stay describable this long. Default 1 h. */
  stoppedTaskRetentionMs: number;
}

/** Default timings, roughly what Fargate shows. */
export const DEFAULT_ECS_TIMINGS: EcsTimings = {
  missingAfterCreateMs: 2_000,
  provisioningMs: 5_000,
  pendingMs: 15_000,
  stoppingMs: 5_000,
  crashAfterRunningMs: 10_000,
  minDrainingMs: 10_000,
  inactiveRetentionMs: 3_600_000,
  stoppedTaskRetentionMs: 3_600_000,
};

/**
 * How tasks of an image behave. 'unhealthy': runs but fails load-balancer
 * health checks (without a load balancer: its essential container exits).
 * 'crash': exits shortly after starting. 'unpullable': never starts
 * (CannotPullContainerError).
 */
export type ImageBehaviour = 'healthy' | 'unhealthy' | 'crash' | 'unpullable';

interface DeploymentState {
  id: string;
  status: 'PRIMARY' | 'ACTIVE';
  taskDefinitionArn: string;
  networkConfiguration?: NetworkConfiguration;
  loadBalancers: LoadBalancer[];
  platformVersion: string;
  failedTasks: number;
  createdAt: number;
  updatedAt: number;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason: string;
}

interface ServiceState {
  arn: string;
  name: string;
  clusterArn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  launchType: string;
  platformVersion: string;
  networkConfiguration?: NetworkConfiguration;
  loadBalancers: LoadBalancer[];
  healthCheckGracePeriodSeconds: number;
  deploymentConfiguration: DeploymentConfiguration;
  propagateTags: string;
  enableECSManagedTags: boolean;
  enableExecuteCommand: boolean;
  tags: Tag[];
  createdAt: number;
  visibleAt: number;
  clientToken?: string;
  createParams: string;
  deployments: DeploymentState[];
  /** Configuration of the last deployment that COMPLETED: what a rollback returns to. */
  lastCompleted?: Pick<DeploymentState, 'taskDefinitionArn' | 'networkConfiguration' | 'loadBalancers' | 'platformVersion'>;
  events: ServiceEvent[];
  drainingSince?: number;
  inactiveSince?: number;
}

interface TaskState {
  arn: string;
  clusterArn: string;
  serviceArn: string;
  serviceName: string;
  deploymentId: string;
  taskDefinitionArn: string;
  behaviour: ImageBehaviour;
  lastStatus: 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  ip: string;
  createdAt: number;
  startedAt?: number;
  stoppingAt?: number;
  stoppedAt?: number;
  stopCode?: string;
  stoppedReason?: string;
  /** When the next lifecycle transition is due. */
  nextAt?: number;
  /** Counted by the circuit breaker. */
  failed: boolean;
  targets: Array<{ targetGroupArn: string; port: number }>;
}

/** The ECS part of the fake. API handlers are in {@link EcsFake.handlers}. */
export class EcsFake {
  readonly #world: World;
  readonly #elbv2: Elbv2Fake;
  readonly timings: EcsTimings;
  readonly taskDefinitions: TaskDefinitions;
  readonly #clusters = new Map<string, string>();
  readonly #services = new Map<string, ServiceState>();
  readonly #tasks = new Map<string, TaskState>();
  /** Tasks by service ARN: the scheduler looks at one service's tasks at a time. */
  readonly #tasksByService = new Map<string, Set<TaskState>>();
  readonly #images = new Map<string, ImageBehaviour>();
  #ipCounter = 10;
  /** Called when a task starts RUNNING with its task definition's containers (the awslogs driver creates its stream then). */
  onTaskStarted: (taskId: string, containers: ContainerDefinition[]) => void = () => undefined;

  constructor(world: World, elbv2: Elbv2Fake, timings: Partial<EcsTimings> = {}) {
    this.#world = world;
    this.#elbv2 = elbv2;
    this.timings = { ...DEFAULT_ECS_TIMINGS, ...timings };
    this.taskDefinitions = new TaskDefinitions(world);
  }

  // ───────────────────────────── fake-only API ─────────────────────────────

  /** Seeds a cluster (the fake does not implement CreateCluster). Returns its ARN. */
  createCluster(name: string): string {
    const arn = `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:cluster/${name}`;
    this.#clusters.set(name, arn);
    return arn;
  }

  /** Tasks started from now on whose containers use `image` fail load-balancer health checks. */
  markImageUnhealthy(image: string): void {
    this.#world.sync();
    this.#images.set(image, 'unhealthy');
  }

  /** Sets how tasks started from now on with `image` behave. */
  setImageBehaviour(image: string, behaviour: ImageBehaviour): void {
    this.#world.sync();
    this.#images.set(image, behaviour);
  }

  /**
   * Stops a task as if it crashed (or was killed). Its service's scheduler
   * replaces it. Counts as a failure for an in-progress deployment.
   */
  stopTask(taskArn: string, reason = 'Essential container in task exited'): void {
    this.#world.sync();
    const task = this.#tasks.get(taskArn);
    if (!task) throw new Error(`stopTask: no task ${taskArn}`);
    this.#stop(task, reason, 'EssentialContainerExited', true);
    this.#world.sync();
  }

  /** Live tasks of a service (not STOPPED), for tests that want to kill one. */
  tasksOf(serviceName: string, cluster = 'default'): Array<{ arn: string; lastStatus: string; ip: string; taskDefinitionArn: string }> {
    this.#world.sync();
    const svc = this.#activeOrDraining(cluster, serviceName);
    if (!svc) return [];
    return this.#serviceTasks(svc.arn)
      .filter((t) => t.lastStatus !== 'STOPPED')
      .map((t) => ({ arn: t.arn, lastStatus: t.lastStatus, ip: t.ip, taskDefinitionArn: t.taskDefinitionArn }));
  }

  /** Which ECS service (ACTIVE or DRAINING) uses a target group, if any (for ELBv2's ResourceInUse). */
  serviceUsingTargetGroup(targetGroupArn: string): string | undefined {
    for (const svc of this.#services.values()) {
      if (svc.status === 'INACTIVE') continue;
      const groups = [svc.loadBalancers, ...svc.deployments.map((d) => d.loadBalancers)].flat().map((lb) => lb.targetGroupArn);
      if (groups.includes(targetGroupArn)) return svc.arn;
    }
    return undefined;
  }

  // ───────────────────────────── simulation ─────────────────────────────

  /** Earliest future moment at which something in ECS changes by itself. */
  nextEventAt(after: number): number | undefined {
    let next: number | undefined;
    const consider = (t: number | undefined): void => {
      if (t !== undefined && t > after && (next === undefined || t < next)) next = t;
    };
    for (const task of this.#tasks.values()) {
      consider(task.nextAt);
      const svc = this.#services.get(serviceKey(task.clusterArn, task.serviceName));
      if (task.lastStatus === 'RUNNING' && task.startedAt !== undefined && svc) consider(task.startedAt + svc.healthCheckGracePeriodSeconds * 1000);
      if (task.stoppedAt !== undefined) consider(task.stoppedAt + this.timings.stoppedTaskRetentionMs);
    }
    for (const svc of this.#services.values()) {
      if (svc.drainingSince !== undefined) consider(svc.drainingSince + this.timings.minDrainingMs);
      if (svc.inactiveSince !== undefined) consider(svc.inactiveSince + this.timings.inactiveRetentionMs);
    }
    return next;
  }

  /** Brings tasks, deployments and services up to `now`. */
  step(now: number): void {
    for (let pass = 0; pass < 20; pass++) {
      let changed = this.#advanceTasks(now);
      for (const svc of [...this.#services.values()]) {
        if (!this.#quiet(svc, now)) changed = this.#schedule(svc, now) || changed;
      }
      if (!changed) break;
    }
  }

  // ───────────────────────────── API ─────────────────────────────

  /** API operations by name; each takes the SDK command input and returns the output (without $metadata). */
  readonly handlers: Record<string, (input: never) => unknown> = {
    RegisterTaskDefinition: (input: Parameters<TaskDefinitions['register']>[0]) => this.taskDefinitions.register(input),
    DeregisterTaskDefinition: (input: { taskDefinition?: string }) => this.taskDefinitions.deregister(input),
    DescribeTaskDefinition: (input: { taskDefinition?: string; include?: string[] }) => this.taskDefinitions.describe(input),
    ListTaskDefinitions: (input: Parameters<TaskDefinitions['list']>[0]) => this.taskDefinitions.list(input),

    CreateService: (input: {
      cluster?: string;
      serviceName?: string;
      taskDefinition?: string;
      desiredCount?: number;
      launchType?: string;
      platformVersion?: string;
      networkConfiguration?: NetworkConfiguration;
      loadBalancers?: LoadBalancer[];
      healthCheckGracePeriodSeconds?: number;
      deploymentConfiguration?: DeploymentConfiguration;
      propagateTags?: string;
      enableECSManagedTags?: boolean;
      enableExecuteCommand?: boolean;
      clientToken?: string;
      tags?: Tag[];
    }) => {
      const clusterArn = this.#cluster(input.cluster);
      const name = input.serviceName ?? '';
      if (!/^[A-Za-z][A-Za-z0-9_-]{0,254}$/.test(name)) throw awsError(InvalidParameterException, `Invalid service name '${name}'. Up to 255 letters, numbers, hyphens and underscores are allowed.`);
      if (input.clientToken !== undefined && !/^[!-~]{1,36}$/.test(input.clientToken)) {
        throw awsError(InvalidParameterException, 'clientToken must be 1 to 36 ASCII characters in the range 33-126.');
      }
      const { clientToken, ...params } = input;
      const createParams = canonicalJson({ ...params, cluster: clusterArn });
      const existing = this.#services.get(serviceKey(clusterArn, name));
      if (existing && existing.status === 'DRAINING') throw awsError(InvalidParameterException, 'Unable to Start a service that is still Draining.');
      if (existing && existing.status === 'ACTIVE') {
        if (clientToken !== undefined && existing.clientToken === clientToken && existing.createParams === createParams) {
          return { service: this.#describe(existing, false) };
        }
        throw awsError(InvalidParameterException, 'Creation of service was not idempotent.');
      }
      const td = this.taskDefinitions.resolve(input.taskDefinition ?? '', { includeInvisible: true });
      if (!td) throw awsError(ClientException, 'TaskDefinition not found.');
      if (td.definition.status !== 'ACTIVE') throw awsError(ClientException, 'TaskDefinition is inactive');
      const launchType = input.launchType ?? 'EC2';
      this.#checkNetwork(td, launchType, input.networkConfiguration);
      const loadBalancers = clone(input.loadBalancers ?? []);
      this.#checkLoadBalancers(td, loadBalancers);
      const desiredCount = input.desiredCount ?? 0;
      if (desiredCount < 0) throw awsError(InvalidParameterException, 'desiredCount must be >= 0.');
      const tags = (input.tags ?? []).map((t) => ({ key: t.key, value: t.value ?? '' }));
      const now = this.#world.now();
      const arn = `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:service/${clusterArn.split('/')[1]}/${name}`;
      const platformVersion = input.platformVersion ?? 'LATEST';
      const svc: ServiceState = {
        arn,
        name,
        clusterArn,
        status: 'ACTIVE',
        desiredCount,
        launchType,
        platformVersion,
        ...(input.networkConfiguration ? { networkConfiguration: clone(input.networkConfiguration) } : {}),
        loadBalancers,
        healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds ?? 0,
        deploymentConfiguration: fillDeploymentConfiguration(input.deploymentConfiguration),
        propagateTags: input.propagateTags ?? 'NONE',
        enableECSManagedTags: input.enableECSManagedTags ?? false,
        enableExecuteCommand: input.enableExecuteCommand ?? false,
        tags,
        createdAt: now,
        visibleAt: now + Math.max(this.timings.missingAfterCreateMs, this.#world.readAfterWriteDelayMs()),
        ...(clientToken !== undefined ? { clientToken } : {}),
        createParams,
        deployments: [],
        events: [],
      };
      svc.deployments.push(this.#newDeployment(svc, td.arn));
      this.#services.set(serviceKey(clusterArn, name), svc);
      this.#event(svc, `(service ${name}) has started a deployment.`);
      return { service: this.#describe(svc, false) };
    },

    UpdateService: (input: {
      cluster?: string;
      service?: string;
      desiredCount?: number;
      taskDefinition?: string;
      networkConfiguration?: NetworkConfiguration;
      loadBalancers?: LoadBalancer[];
      platformVersion?: string;
      forceNewDeployment?: boolean;
      healthCheckGracePeriodSeconds?: number;
      deploymentConfiguration?: DeploymentConfiguration;
      enableExecuteCommand?: boolean;
      propagateTags?: string;
      enableECSManagedTags?: boolean;
    }) => {
      const clusterArn = this.#cluster(input.cluster);
      const svc = this.#services.get(serviceKey(clusterArn, nameFromRef(input.service ?? '')));
      if (!svc || svc.visibleAt > this.#world.now()) throw awsError(ServiceNotFoundException, 'Service not found.');
      if (svc.status !== 'ACTIVE') throw awsError(ServiceNotActiveException, 'Service was not ACTIVE.');
      const primary = svc.deployments.find((d) => d.status === 'PRIMARY')!;
      let td: TaskDefinitionState | undefined = this.taskDefinitions.resolve(primary.taskDefinitionArn, { includeInvisible: true });
      if (input.taskDefinition !== undefined) {
        td = this.taskDefinitions.resolve(input.taskDefinition, { includeInvisible: true });
        if (!td) throw awsError(ClientException, 'TaskDefinition not found.');
        if (td.definition.status !== 'ACTIVE') throw awsError(ClientException, 'TaskDefinition is inactive');
      }
      const network = input.networkConfiguration ?? svc.networkConfiguration;
      this.#checkNetwork(td!, svc.launchType, network);
      const loadBalancers = input.loadBalancers !== undefined ? clone(input.loadBalancers) : svc.loadBalancers;
      // AWS validates load balancers when they or the task definition change, not on a desiredCount-only update.
      if (input.loadBalancers !== undefined || input.taskDefinition !== undefined) this.#checkLoadBalancers(td!, loadBalancers);
      if (input.desiredCount !== undefined && input.desiredCount < 0) throw awsError(InvalidParameterException, 'desiredCount must be >= 0.');

      const needsDeployment =
        input.forceNewDeployment === true ||
        td!.arn !== primary.taskDefinitionArn ||
        canonicalJson(network) !== canonicalJson(primary.networkConfiguration) ||
        canonicalJson(loadBalancers) !== canonicalJson(primary.loadBalancers) ||
        (input.platformVersion !== undefined && input.platformVersion !== primary.platformVersion);

      if (input.desiredCount !== undefined) svc.desiredCount = input.desiredCount;
      if (input.healthCheckGracePeriodSeconds !== undefined) svc.healthCheckGracePeriodSeconds = input.healthCheckGracePeriodSeconds;
      if (input.deploymentConfiguration !== undefined) svc.deploymentConfiguration = fillDeploymentConfiguration(input.deploymentConfiguration);
      if (input.enableExecuteCommand !== undefined) svc.enableExecuteCommand = input.enableExecuteCommand;
      if (input.propagateTags !== undefined) svc.propagateTags = input.propagateTags;
      if (input.enableECSManagedTags !== undefined) svc.enableECSManagedTags = input.enableECSManagedTags;
      if (network !== undefined) svc.networkConfiguration = clone(network);
      svc.loadBalancers = loadBalancers;
      if (input.platformVersion !== undefined) svc.platformVersion = input.platformVersion;
      if (needsDeployment) {
        primary.status = 'ACTIVE';
        primary.updatedAt = this.#world.now();
        svc.deployments.unshift(this.#newDeployment(svc, td!.arn));
        this.#event(svc, `(service ${svc.name}) has started a deployment.`);
      }
      return { service: this.#describe(svc, false) };
    },

    DeleteService: (input: { cluster?: string; service?: string; force?: boolean }) => {
      const clusterArn = this.#cluster(input.cluster);
      const svc = this.#services.get(serviceKey(clusterArn, nameFromRef(input.service ?? '')));
      if (!svc || svc.visibleAt > this.#world.now()) throw awsError(ServiceNotFoundException, 'Service not found.');
      if (svc.status === 'INACTIVE') throw awsError(ServiceNotActiveException, 'Service was not ACTIVE.');
      if (svc.status === 'ACTIVE') {
        if (svc.desiredCount > 0 && input.force !== true) {
          throw awsError(InvalidParameterException, 'The service cannot be stopped while it is scaled above 0.');
        }
        svc.status = 'DRAINING';
        svc.desiredCount = 0;
        svc.drainingSince = this.#world.now();
        for (const task of this.#serviceTasks(svc.arn)) {
          if (task.desiredStatus === 'RUNNING') this.#stop(task, 'Service deleted', 'ServiceSchedulerInitiated', false);
        }
      }
      return { service: this.#describe(svc, false) };
    },

    DescribeServices: (input: { cluster?: string; services?: string[]; include?: string[] }) => {
      const clusterArn = this.#cluster(input.cluster);
      const refs = input.services ?? [];
      if (refs.length === 0 || refs.length > 10) throw awsError(InvalidParameterException, 'services can have at most 10 items and at least 1.');
      const services: Service[] = [];
      const failures: Failure[] = [];
      const now = this.#world.now();
      for (const ref of refs) {
        const name = nameFromRef(ref);
        const svc = this.#services.get(serviceKey(clusterArn, name));
        if (!svc || svc.visibleAt > now) failures.push({ arn: ref.startsWith('arn:') ? ref : `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:service/${clusterArn.split('/')[1]}/${name}`, reason: 'MISSING' });
        else services.push(this.#describe(svc, input.include?.includes('TAGS') === true));
      }
      return { services, failures };
    },

    ListServices: (input: { cluster?: string; nextToken?: string; maxResults?: number; launchType?: string }) => {
      const clusterArn = this.#cluster(input.cluster);
      const max = input.maxResults ?? 10;
      if (max < 1 || max > 100) throw awsError(InvalidParameterException, 'maxResults must be between 1 and 100.');
      const now = this.#world.now();
      // DRAINING and INACTIVE services are not listed.
      const arns = [...this.#services.values()]
        .filter((s) => s.clusterArn === clusterArn && s.status === 'ACTIVE' && s.visibleAt <= now && (input.launchType === undefined || s.launchType === input.launchType))
        .map((s) => s.arn)
        .sort();
      const { items, next } = page(arns, (a) => a, input.nextToken, max);
      return { serviceArns: items, ...(next ? { nextToken: next } : {}) };
    },

    ListTasks: (input: { cluster?: string; serviceName?: string; desiredStatus?: string; nextToken?: string; maxResults?: number }) => {
      const clusterArn = this.#cluster(input.cluster);
      const desired = input.desiredStatus ?? 'RUNNING';
      const svc = input.serviceName ? this.#services.get(serviceKey(clusterArn, nameFromRef(input.serviceName))) : undefined;
      if (input.serviceName && !svc) throw awsError(ServiceNotFoundException, 'Service not found.');
      const arns = [...this.#tasks.values()]
        .filter((t) => t.clusterArn === clusterArn && t.desiredStatus === desired && (!svc || t.serviceArn === svc.arn))
        .map((t) => t.arn);
      const { items, next } = page(arns, (a) => a, input.nextToken, input.maxResults ?? 100);
      return { taskArns: items, ...(next ? { nextToken: next } : {}) };
    },

    DescribeTasks: (input: { cluster?: string; tasks?: string[] }) => {
      const clusterArn = this.#cluster(input.cluster);
      const refs = input.tasks ?? [];
      if (refs.length === 0 || refs.length > 100) throw awsError(InvalidParameterException, 'tasks can have at most 100 items and at least 1.');
      const tasks: Task[] = [];
      const failures: Failure[] = [];
      for (const ref of refs) {
        const task = this.#tasks.get(ref);
        if (!task || task.clusterArn !== clusterArn) failures.push({ arn: ref, reason: 'MISSING' });
        else tasks.push(this.#describeTask(task));
      }
      return { tasks, failures };
    },

    TagResource: (input: { resourceArn?: string; tags?: Tag[] }) => {
      const target = this.#taggable(input.resourceArn ?? '');
      const map = new Map(target.tags.map((t) => [t.key, t.value]));
      for (const t of input.tags ?? []) map.set(t.key, t.value ?? '');
      if (map.size > 50) throw awsError(InvalidParameterException, 'A resource can have at most 50 tags.');
      target.tags = [...map].map(([key, value]) => ({ key, value }));
      return {};
    },

    UntagResource: (input: { resourceArn?: string; tagKeys?: string[] }) => {
      const target = this.#taggable(input.resourceArn ?? '');
      const keys = new Set(input.tagKeys ?? []);
      target.tags = target.tags.filter((t) => !keys.has(t.key ?? ''));
      return {};
    },

    ListTagsForResource: (input: { resourceArn?: string }) => ({ tags: clone(this.#taggable(input.resourceArn ?? '').tags) }),
  };

  // ───────────────────────────── snapshot ─────────────────────────────

  /** Plain-data copy of ECS state, for assertions such as "no duplicate services". */
  snapshot(): {
    taskDefinitions: Array<{ arn: string; family: string; revision: number; status: string; images: string[]; tags: Record<string, string> }>;
    services: Array<{
      arn: string;
      name: string;
      status: string;
      desiredCount: number;
      runningCount: number;
      taskDefinition: string;
      deployments: Array<{ id: string; status: string; rolloutState: string; taskDefinition: string; failedTasks: number }>;
      loadBalancers: LoadBalancer[];
      tags: Record<string, string>;
    }>;
    tasks: Array<{ arn: string; service: string; lastStatus: string; taskDefinitionArn: string; ip: string }>;
  } {
    return {
      taskDefinitions: this.taskDefinitions.all().map((td) => ({
        arn: td.arn,
        family: td.family,
        revision: td.revision,
        status: td.definition.status ?? 'ACTIVE',
        images: (td.definition.containerDefinitions ?? []).map((c) => c.image ?? ''),
        tags: Object.fromEntries(td.tags.map((t) => [t.key ?? '', t.value ?? ''])),
      })),
      services: [...this.#services.values()].map((svc) => {
        const d = this.#describe(svc, true);
        return {
          arn: svc.arn,
          name: svc.name,
          status: svc.status,
          desiredCount: svc.desiredCount,
          runningCount: d.runningCount ?? 0,
          taskDefinition: d.taskDefinition ?? '',
          deployments: (d.deployments ?? []).map((x) => ({ id: x.id ?? '', status: x.status ?? '', rolloutState: x.rolloutState ?? '', taskDefinition: x.taskDefinition ?? '', failedTasks: x.failedTasks ?? 0 })),
          loadBalancers: clone(svc.loadBalancers),
          tags: Object.fromEntries(svc.tags.map((t) => [t.key ?? '', t.value ?? ''])),
        };
      }),
      tasks: [...this.#tasks.values()].map((t) => ({ arn: t.arn, service: t.serviceName, lastStatus: t.lastStatus, taskDefinitionArn: t.taskDefinitionArn, ip: t.ip })),
    };
  }

  // ───────────────────────────── internals ─────────────────────────────

  #serviceTasks(serviceArn: string): TaskState[] {
    return [...(this.#tasksByService.get(serviceArn) ?? [])];
  }

  #cluster(ref: string | undefined): string {
    const name = (ref ?? 'default').startsWith('arn:') ? (ref ?? '').split('/').pop()! : (ref ?? 'default');
    const arn = this.#clusters.get(name);
    if (!arn) throw awsError(ClusterNotFoundException, 'Cluster not found.');
    return arn;
  }

  #activeOrDraining(cluster: string, name: string): ServiceState | undefined {
    const arn = this.#clusters.get(cluster);
    const svc = arn ? this.#services.get(serviceKey(arn, name)) : undefined;
    return svc && svc.status !== 'INACTIVE' ? svc : undefined;
  }

  #checkNetwork(td: TaskDefinitionState, launchType: string, network: NetworkConfiguration | undefined): void {
    if (td.definition.networkMode === 'awsvpc') {
      const subnets = network?.awsvpcConfiguration?.subnets ?? [];
      if (subnets.length === 0) throw awsError(InvalidParameterException, 'Network Configuration must be provided when networkMode \'awsvpc\' is specified.');
    }
    if (launchType === 'FARGATE' && !(td.definition.compatibilities ?? []).includes('FARGATE')) {
      throw awsError(InvalidParameterException, 'Task definition does not support launch_type FARGATE.');
    }
  }

  #checkLoadBalancers(td: TaskDefinitionState, loadBalancers: LoadBalancer[]): void {
    for (const lb of loadBalancers) {
      const info = lb.targetGroupArn ? this.#elbv2.targetGroupInfo(lb.targetGroupArn) : undefined;
      if (!info) throw awsError(InvalidParameterException, `Unable to find the target group ${lb.targetGroupArn ?? '(none)'}.`);
      if (info.loadBalancerArns.length === 0) {
        throw awsError(InvalidParameterException, `The target group with targetGroupArn ${lb.targetGroupArn} does not have an associated load balancer.`);
      }
      if (td.definition.networkMode === 'awsvpc' && info.targetType !== 'ip') {
        throw awsError(InvalidParameterException, `The provided target group ${lb.targetGroupArn} has target type ${info.targetType}, which is incompatible with the awsvpc network mode specified in the task definition.`);
      }
      const container = (td.definition.containerDefinitions ?? []).find((c) => c.name === lb.containerName);
      if (!container) throw awsError(InvalidParameterException, `The container ${lb.containerName} does not exist in the task definition.`);
      if (!(container.portMappings ?? []).some((p) => p.containerPort === lb.containerPort)) {
        throw awsError(InvalidParameterException, `The container ${lb.containerName} did not have a container port ${lb.containerPort} defined.`);
      }
    }
  }

  #newDeployment(svc: ServiceState, taskDefinitionArn: string): DeploymentState {
    const now = this.#world.now();
    return {
      id: `ecs-svc/${this.#world.ids.digits(19)}`,
      status: 'PRIMARY',
      taskDefinitionArn,
      ...(svc.networkConfiguration ? { networkConfiguration: clone(svc.networkConfiguration) } : {}),
      loadBalancers: clone(svc.loadBalancers),
      platformVersion: svc.platformVersion,
      failedTasks: 0,
      createdAt: now,
      updatedAt: now,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: 'ECS deployment in progress.',
    };
  }

  #event(svc: ServiceState, message: string): void {
    svc.events.unshift({ id: this.#world.ids.hex(8) + '-' + this.#world.ids.hex(4), createdAt: new Date(this.#world.now()), message });
    if (svc.events.length > 100) svc.events.length = 100;
  }

  #launch(svc: ServiceState, deployment: DeploymentState, now: number): void {
    const td = this.taskDefinitions.resolve(deployment.taskDefinitionArn, { includeInvisible: true })!;
    const images = (td.definition.containerDefinitions ?? []).map((c) => c.image ?? '');
    const rank: ImageBehaviour[] = ['healthy', 'unhealthy', 'crash', 'unpullable'];
    const behaviour = images.map((i) => this.#images.get(i) ?? 'healthy').reduce((a, b) => (rank.indexOf(b) > rank.indexOf(a) ? b : a), 'healthy' as ImageBehaviour);
    const id = this.#world.ids.hex(32);
    this.#ipCounter += 1;
    const task: TaskState = {
      arn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task/${svc.clusterArn.split('/')[1]}/${id}`,
      clusterArn: svc.clusterArn,
      serviceArn: svc.arn,
      serviceName: svc.name,
      deploymentId: deployment.id,
      taskDefinitionArn: td.arn,
      behaviour,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      ip: `10.0.${Math.floor(this.#ipCounter / 250) % 250}.${(this.#ipCounter % 250) + 2}`,
      createdAt: now,
      nextAt: now + this.timings.provisioningMs,
      failed: false,
      targets: [],
    };
    this.#tasks.set(task.arn, task);
    const set = this.#tasksByService.get(svc.arn) ?? new Set<TaskState>();
    set.add(task);
    this.#tasksByService.set(svc.arn, set);
  }

  #stop(task: TaskState, reason: string, stopCode: string, failed: boolean): void {
    if (task.desiredStatus === 'STOPPED') return;
    const now = this.#world.now();
    task.desiredStatus = 'STOPPED';
    task.stoppingAt = now;
    task.stoppedReason = reason;
    task.stopCode = stopCode;
    task.failed = failed;
    let drainedAt = now;
    for (const t of task.targets) drainedAt = Math.max(drainedAt, this.#elbv2.deregisterTarget(t.targetGroupArn, task.ip, t.port));
    if (drainedAt > now) {
      task.lastStatus = 'DEACTIVATING';
      task.nextAt = drainedAt;
    } else {
      task.lastStatus = 'STOPPING';
      task.nextAt = now + this.timings.stoppingMs;
    }
    const svc = this.#services.get(serviceKey(task.clusterArn, task.serviceName));
    const deployment = svc?.deployments.find((d) => d.id === task.deploymentId);
    if (failed && svc && deployment) {
      deployment.failedTasks += 1;
      this.#event(svc, `(service ${svc.name}) has stopped 1 running tasks: (task ${task.arn.split('/').pop()}). Reason: ${reason}`);
      this.#checkCircuitBreaker(svc, deployment);
    }
  }

  #checkCircuitBreaker(svc: ServiceState, deployment: DeploymentState): void {
    const breaker = svc.deploymentConfiguration.deploymentCircuitBreaker;
    if (!breaker?.enable || deployment.status !== 'PRIMARY' || deployment.rolloutState !== 'IN_PROGRESS') return;
    // AWS: threshold = 0.5 × desired count, at least 3 and at most 200.
    const threshold = Math.min(200, Math.max(3, Math.ceil(0.5 * svc.desiredCount)));
    if (deployment.failedTasks < threshold) return;
    deployment.rolloutState = 'FAILED';
    deployment.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
    deployment.updatedAt = this.#world.now();
    this.#event(svc, `(service ${svc.name}) (deployment ${deployment.id}) deployment failed: tasks failed to start.`);
    const previous = svc.lastCompleted;
    if (!breaker.rollback || !previous) return;
    // Rollback: the failed deployment disappears; a new PRIMARY runs the last completed configuration.
    svc.deployments = svc.deployments.filter((d) => d.id !== deployment.id);
    for (const task of this.#serviceTasks(svc.arn)) {
      if (task.deploymentId === deployment.id && task.desiredStatus === 'RUNNING') this.#stop(task, 'Deployment rolled back', 'ServiceSchedulerInitiated', false);
    }
    for (const d of svc.deployments) d.status = 'ACTIVE';
    const now = this.#world.now();
    const rollback: DeploymentState = {
      id: `ecs-svc/${this.#world.ids.digits(19)}`,
      status: 'PRIMARY',
      taskDefinitionArn: previous.taskDefinitionArn,
      ...(previous.networkConfiguration ? { networkConfiguration: clone(previous.networkConfiguration) } : {}),
      loadBalancers: clone(previous.loadBalancers),
      platformVersion: previous.platformVersion,
      failedTasks: 0,
      createdAt: now,
      updatedAt: now,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: `ECS deployment circuit breaker: rolling back to deployment with task definition ${previous.taskDefinitionArn}.`,
    };
    svc.deployments.unshift(rollback);
    svc.loadBalancers = clone(previous.loadBalancers);
    if (previous.networkConfiguration) svc.networkConfiguration = clone(previous.networkConfiguration);
    this.#event(svc, `(service ${svc.name}) rolling back to deployment ${rollback.id}.`);
  }

  /** Moves tasks through their lifecycle. Returns whether anything changed. */
  #advanceTasks(now: number): boolean {
    let changed = false;
    for (const task of [...this.#tasks.values()]) {
      if (task.lastStatus === 'STOPPED') {
        if (task.stoppedAt !== undefined && task.stoppedAt + this.timings.stoppedTaskRetentionMs <= now) {
          this.#tasks.delete(task.arn);
          this.#tasksByService.get(task.serviceArn)?.delete(task);
          changed = true;
        }
        continue;
      }
      if (task.nextAt === undefined || task.nextAt > now) continue;
      changed = true;
      task.nextAt = undefined;
      switch (task.lastStatus) {
        case 'PROVISIONING':
          task.lastStatus = 'PENDING';
          task.nextAt = now + this.timings.pendingMs;
          break;
        case 'PENDING':
          if (task.behaviour === 'unpullable') {
            this.#stop(task, 'CannotPullContainerError: pull image manifest has been retried 5 time(s): not found', 'TaskFailedToStart', true);
            break;
          }
          task.lastStatus = 'RUNNING';
          task.startedAt = now;
          this.onTaskStarted(task.arn.split('/').pop() ?? '', this.taskDefinitions.resolve(task.taskDefinitionArn, { includeInvisible: true })?.definition.containerDefinitions ?? []);
          this.#registerTargets(task);
          if (task.behaviour === 'crash' || (task.behaviour === 'unhealthy' && task.targets.length === 0)) task.nextAt = now + this.timings.crashAfterRunningMs;
          break;
        case 'RUNNING':
          // Only crashing images schedule a transition while RUNNING.
          this.#stop(task, 'Essential container in task exited', 'EssentialContainerExited', true);
          break;
        case 'DEACTIVATING':
          task.lastStatus = 'STOPPING';
          task.nextAt = now + this.timings.stoppingMs;
          break;
        case 'STOPPING':
          task.lastStatus = 'STOPPED';
          task.stoppedAt = now;
          break;
      }
    }
    return changed;
  }

  #registerTargets(task: TaskState): void {
    const svc = this.#services.get(serviceKey(task.clusterArn, task.serviceName));
    const deployment = svc?.deployments.find((d) => d.id === task.deploymentId);
    for (const lb of deployment?.loadBalancers ?? svc?.loadBalancers ?? []) {
      if (!lb.targetGroupArn || lb.containerPort === undefined) continue;
      this.#elbv2.registerTarget(lb.targetGroupArn, task.ip, lb.containerPort, task.behaviour === 'healthy' ? 'healthy' : 'unhealthy');
      task.targets.push({ targetGroupArn: lb.targetGroupArn, port: lb.containerPort });
    }
  }

  #isHealthy(task: TaskState): boolean {
    if (task.lastStatus !== 'RUNNING' || task.desiredStatus !== 'RUNNING') return false;
    return task.targets.every((t) => this.#elbv2.targetState(t.targetGroupArn, task.ip, t.port) === 'healthy');
  }

  /**
   * True when the scheduler has nothing to do for this service: steady, one
   * settled deployment, exactly the desired number of healthy tasks. Lets a
   * step over thousands of services cost little more than a scan.
   */
  #quiet(svc: ServiceState, now: number): boolean {
    if (svc.status === 'INACTIVE') return svc.inactiveSince === undefined || svc.inactiveSince + this.timings.inactiveRetentionMs > now;
    if (svc.status === 'DRAINING') return false;
    if (svc.deployments.length !== 1 || svc.deployments[0]!.rolloutState === 'IN_PROGRESS') return false;
    let live = 0;
    for (const task of this.#tasksByService.get(svc.arn) ?? []) {
      if (task.desiredStatus !== 'RUNNING') continue;
      live += 1;
      if (!this.#isHealthy(task)) return false;
    }
    // A FAILED deployment launches nothing more, but still scales down.
    return live === svc.desiredCount || (svc.deployments[0]!.rolloutState === 'FAILED' && live < svc.desiredCount);
  }

  /** One scheduler pass for a service. Returns whether anything changed. */
  #schedule(svc: ServiceState, now: number): boolean {
    let changed = false;
    const serviceTasks = this.#serviceTasks(svc.arn);
    const live = (d: DeploymentState): TaskState[] => this.#serviceTasks(svc.arn).filter((t) => t.deploymentId === d.id && t.desiredStatus === 'RUNNING');
    if (svc.status === 'INACTIVE') {
      if (svc.inactiveSince !== undefined && svc.inactiveSince + this.timings.inactiveRetentionMs <= now) {
        this.#services.delete(serviceKey(svc.clusterArn, svc.name));
        return true;
      }
      return false;
    }
    if (svc.status === 'DRAINING') {
      const remaining = serviceTasks.some((t) => t.lastStatus !== 'STOPPED');
      if (!remaining && now >= (svc.drainingSince ?? now) + this.timings.minDrainingMs) {
        svc.status = 'INACTIVE';
        svc.inactiveSince = now;
        svc.deployments = [];
        return true;
      }
      return false;
    }

    // ELB health: after the grace period, a target judged unhealthy gets its task replaced.
    for (const task of serviceTasks) {
      if (task.lastStatus !== 'RUNNING' || task.desiredStatus !== 'RUNNING') continue;
      if (now < (task.startedAt ?? now) + svc.healthCheckGracePeriodSeconds * 1000) continue;
      const bad = task.targets.find((t) => this.#elbv2.targetState(t.targetGroupArn, task.ip, t.port) === 'unhealthy');
      if (bad) {
        this.#stop(task, `Task failed ELB health checks in (target-group ${bad.targetGroupArn})`, 'ServiceSchedulerInitiated', true);
        changed = true;
      }
    }

    const primary = svc.deployments.find((d) => d.status === 'PRIMARY');
    if (!primary) return changed;
    const desired = svc.desiredCount;
    const primaryLive = live(primary);
    const allLive = svc.deployments.flatMap(live);
    const maxTotal = Math.floor((desired * (svc.deploymentConfiguration.maximumPercent ?? 200)) / 100);

    if (primary.rolloutState !== 'FAILED' && primaryLive.length < desired) {
      const room = Math.max(0, Math.max(maxTotal, desired) - allLive.length);
      const count = Math.min(desired - primaryLive.length, room);
      for (let i = 0; i < count; i++) this.#launch(svc, primary, now);
      if (count > 0) changed = true;
      if (count < desired - primaryLive.length) {
        // No room under maximumPercent: stop old tasks while keeping minimumHealthyPercent.
        const minHealthy = Math.ceil((desired * (svc.deploymentConfiguration.minimumHealthyPercent ?? 100)) / 100);
        const healthyAll = allLive.filter((t) => this.#isHealthy(t)).length;
        let spare = Math.max(0, healthyAll - minHealthy);
        for (const old of svc.deployments.filter((d) => d !== primary)) {
          for (const t of live(old)) {
            if (spare <= 0 && this.#isHealthy(t)) continue;
            if (this.#isHealthy(t)) spare -= 1;
            this.#stop(t, 'Scaling activity initiated by (deployment ' + primary.id + ')', 'ServiceSchedulerInitiated', false);
            changed = true;
          }
        }
      }
    } else if (primaryLive.length > desired) {
      const extras = primaryLive.sort((a, b) => Number(this.#isHealthy(a)) - Number(this.#isHealthy(b))).slice(0, primaryLive.length - desired);
      for (const t of extras) this.#stop(t, 'Scaling activity initiated by (service ' + svc.name + ')', 'ServiceSchedulerInitiated', false);
      if (extras.length > 0) changed = true;
    }

    const healthyPrimary = live(primary).filter((t) => this.#isHealthy(t)).length;
    if (primary.rolloutState !== 'FAILED' && healthyPrimary >= desired) {
      for (const old of svc.deployments.filter((d) => d !== primary)) {
        for (const t of live(old)) {
          this.#stop(t, 'Scaling activity initiated by (deployment ' + primary.id + ')', 'ServiceSchedulerInitiated', false);
          changed = true;
        }
      }
      const before = svc.deployments.length;
      svc.deployments = svc.deployments.filter((d) => d === primary || this.#serviceTasks(svc.arn).some((t) => t.deploymentId === d.id && t.lastStatus !== 'STOPPED'));
      if (svc.deployments.length !== before) changed = true;
      if (svc.deployments.length === 1 && primary.rolloutState === 'IN_PROGRESS') {
        primary.rolloutState = 'COMPLETED';
        primary.rolloutStateReason = 'ECS deployment completed.';
        primary.updatedAt = now;
        svc.lastCompleted = {
          taskDefinitionArn: primary.taskDefinitionArn,
          ...(primary.networkConfiguration ? { networkConfiguration: clone(primary.networkConfiguration) } : {}),
          loadBalancers: clone(primary.loadBalancers),
          platformVersion: primary.platformVersion,
        };
        this.#event(svc, `(service ${svc.name}) (deployment ${primary.id}) deployment completed.`);
        this.#event(svc, `(service ${svc.name}) has reached a steady state.`);
        changed = true;
      }
    }
    return changed;
  }

  #describe(svc: ServiceState, withTags: boolean): Service {
    const tasks = this.#serviceTasks(svc.arn);
    const count = (filter: (t: TaskState) => boolean, deploymentId?: string): number =>
      tasks.filter((t) => (deploymentId === undefined || t.deploymentId === deploymentId) && filter(t)).length;
    const running = (t: TaskState): boolean => t.lastStatus === 'RUNNING';
    const pending = (t: TaskState): boolean => t.lastStatus === 'PROVISIONING' || t.lastStatus === 'PENDING';
    const primary = svc.deployments.find((d) => d.status === 'PRIMARY');
    const deployments: Deployment[] = svc.deployments.map((d) => ({
      id: d.id,
      status: d.status,
      taskDefinition: d.taskDefinitionArn,
      desiredCount: d.status === 'PRIMARY' ? svc.desiredCount : count((t) => t.desiredStatus === 'RUNNING', d.id),
      pendingCount: count(pending, d.id),
      runningCount: count(running, d.id),
      failedTasks: d.failedTasks,
      createdAt: new Date(d.createdAt),
      updatedAt: new Date(d.updatedAt),
      launchType: svc.launchType as Deployment['launchType'],
      platformVersion: d.platformVersion === 'LATEST' ? '1.4.0' : d.platformVersion,
      platformFamily: 'Linux',
      ...(d.networkConfiguration ? { networkConfiguration: clone(d.networkConfiguration) } : {}),
      rolloutState: d.rolloutState,
      rolloutStateReason: d.rolloutStateReason,
    }));
    return {
      serviceArn: svc.arn,
      serviceName: svc.name,
      clusterArn: svc.clusterArn,
      loadBalancers: clone(svc.loadBalancers),
      serviceRegistries: [],
      status: svc.status,
      desiredCount: svc.desiredCount,
      runningCount: count(running),
      pendingCount: count(pending),
      launchType: svc.launchType as Service['launchType'],
      platformVersion: svc.platformVersion,
      platformFamily: 'Linux',
      ...(primary ? { taskDefinition: primary.taskDefinitionArn } : {}),
      deploymentConfiguration: clone(svc.deploymentConfiguration),
      deployments,
      events: clone(svc.events),
      createdAt: new Date(svc.createdAt),
      placementConstraints: [],
      placementStrategy: [],
      ...(svc.networkConfiguration ? { networkConfiguration: clone(svc.networkConfiguration) } : {}),
      healthCheckGracePeriodSeconds: svc.healthCheckGracePeriodSeconds,
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'ECS' },
      createdBy: `arn:aws:iam::${ACCOUNT_ID}:role/berth-reconciler`,
      enableECSManagedTags: svc.enableECSManagedTags,
      propagateTags: svc.propagateTags as Service['propagateTags'],
      enableExecuteCommand: svc.enableExecuteCommand,
      ...(withTags ? { tags: clone(svc.tags) } : {}),
    };
  }

  #describeTask(task: TaskState): Task {
    return {
      taskArn: task.arn,
      clusterArn: task.clusterArn,
      taskDefinitionArn: task.taskDefinitionArn,
      group: `service:${task.serviceName}`,
      startedBy: task.deploymentId,
      lastStatus: task.lastStatus,
      desiredStatus: task.desiredStatus,
      healthStatus: task.lastStatus === 'RUNNING' ? (this.#isHealthy(task) ? 'HEALTHY' : 'UNKNOWN') : 'UNKNOWN',
      launchType: 'FARGATE',
      availabilityZone: `${REGION}a`,
      createdAt: new Date(task.createdAt),
      ...(task.startedAt !== undefined ? { startedAt: new Date(task.startedAt) } : {}),
      ...(task.stoppingAt !== undefined ? { stoppingAt: new Date(task.stoppingAt) } : {}),
      ...(task.stoppedAt !== undefined ? { stoppedAt: new Date(task.stoppedAt) } : {}),
      ...(task.stopCode !== undefined ? { stopCode: task.stopCode as Task['stopCode'] } : {}),
      ...(task.stoppedReason !== undefined ? { stoppedReason: task.stoppedReason } : {}),
      attachments: [{ type: 'ElasticNetworkInterface', status: 'ATTACHED', details: [{ name: 'privateIPv4Address', value: task.ip }] }],
    };
  }

  #taggable(arn: string): { tags: Tag[] } {
    if (arn.includes(':task-definition/')) {
      const td = this.taskDefinitions.byArn(arn);
      if (td) return td;
    } else if (arn.includes(':service/')) {
      const [cluster, name] = arn.split(':service/')[1]!.split('/');
      const clusterArn = this.#clusters.get(cluster ?? '');
      const svc = clusterArn ? this.#services.get(serviceKey(clusterArn, name ?? '')) : undefined;
      if (svc && svc.status !== 'INACTIVE') return svc;
    }
    throw awsError(ResourceNotFoundException, 'The specified resource could not be found.');
  }
}

function serviceKey(clusterArn: string, name: string): string {
  return `${clusterArn}|${name}`;
}

/** A service reference may be a name or an ARN (…:service/cluster/name). */
function nameFromRef(ref: string): string {
  return ref.startsWith('arn:') ? ref.split('/').pop()! : ref;
}

function fillDeploymentConfiguration(config: DeploymentConfiguration | undefined): DeploymentConfiguration {
  return {
    deploymentCircuitBreaker: {
      enable: config?.deploymentCircuitBreaker?.enable ?? false,
      rollback: config?.deploymentCircuitBreaker?.rollback ?? false,
    },
    maximumPercent: config?.maximumPercent ?? 200,
    minimumHealthyPercent: config?.minimumHealthyPercent ?? 100,
  };
}
