/**
 * The pipeline's DAG as an Amazon States Language (ASL) definition, for users who outgrow one machine and run
 * the same pipeline on AWS Step Functions: what the seed's `state_machine.json` did, with each step as an ECS
 * task that runs this CLI (`ecommerce-etl run --only <step> --run-id <execution name>`).
 *
 * The DAG becomes levels (a step's level is one more than its deepest dependency); a level with several steps
 * is a `Parallel` state with one branch per step. For this pipeline's DAG (preprocess → products ∥ orders →
 * order_items → catalog → preview) that is exactly the DAG; for any DAG it never runs a step before one of
 * its dependencies. Every task retries failed ECS tasks with backoff, catches every error into the failure
 * notification (SNS) and a `Fail` state; the end publishes the success notification.
 */

import { type DagStepShape, dagLevels } from './runner.js'

export { type DagStepShape, dagLevels }

/** Where and how the tasks run on AWS. */
export interface StateMachineOptions {
  /** Warehouse root the tasks use, normally `s3://bucket/prefix`. */
  warehouse: string
  /** ECS cluster ARN or name. */
  cluster: string
  /** ECS task definition (family[:revision] or ARN) whose container has the `ecommerce-etl` CLI. */
  taskDefinition: string
  /** Name of the container in the task definition (default `ecommerce-etl`). */
  container?: string
  /** SNS topic ARN for the success and failure notifications. */
  topicArn: string
  /** Subnets for awsvpc networking (Fargate needs at least one). */
  subnets?: readonly string[]
  /** Security groups for awsvpc networking. */
  securityGroups?: readonly string[]
  /** ECS launch type (default FARGATE). */
  launchType?: 'FARGATE' | 'EC2'
  /** Attempts of a failed task in all (default 3, as the local runner). */
  maxAttempts?: number
  /** Extra CLI arguments every task gets (for example `--catalog glue`). */
  extraArgs?: readonly string[]
  /** The definition's Comment. */
  comment?: string
}

/** An ASL state (the subset this exporter emits). */
export type AslState = Record<string, unknown>

/** An ASL state machine definition. */
export interface AslDefinition {
  Comment: string
  StartAt: string
  States: Record<string, AslState>
}

/** State names: `Run_<step>`, `Parallel_<a>_<b>`, and the fixed notification and end states. */
const taskName = (step: string) => `Run_${step}`
const NOTIFY_SUCCESS = 'Notify_success'
const NOTIFY_FAILURE = 'Notify_failure'
const FAILED = 'Pipeline_failed'
const SUCCEEDED = 'Pipeline_succeeded'

/** An intrinsic-function string literal: ASL quotes with single quotes and escapes `'{}\` with a backslash. */
function aslString(s: string): string {
  return `'${s.replace(/[\\'{}]/g, (c) => `\\${c}`)}'`
}

/**
 * The ASL definition that runs `steps` on ECS, one task per step, with SNS notifications. The run id is the
 * execution name (`$$.Execution.Name`), so every task of one execution works on the same run and a
 * redriven execution resumes it (committed jobs are recognised, as with `run --run-id`).
 */
export function stateMachineDefinition(steps: readonly DagStepShape[], options: StateMachineOptions): AslDefinition {
  const levels = dagLevels(steps)
  const container = options.container ?? 'ecommerce-etl'
  const catchAll = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: NOTIFY_FAILURE }]
  const task = (step: string, next: string | undefined): AslState => {
    // The run id is only known at run time, so the command is built by an intrinsic function.
    const command = [
      ...['run', '--only', step, '--run-id'].map(aslString),
      '$$.Execution.Name',
      ...['--warehouse', options.warehouse, ...(options.extraArgs ?? [])].map(aslString),
    ]
    const network =
      options.subnets && options.subnets.length > 0
        ? {
            NetworkConfiguration: {
              AwsvpcConfiguration: {
                Subnets: [...options.subnets],
                ...(options.securityGroups ? { SecurityGroups: [...options.securityGroups] } : {}),
                AssignPublicIp: 'DISABLED',
              },
            },
          }
        : {}
    return {
      Type: 'Task',
      Comment: `ecommerce-etl run --only ${step}`,
      Resource: 'arn:aws:states:::ecs:runTask.sync',
      Parameters: {
        Cluster: options.cluster,
        TaskDefinition: options.taskDefinition,
        LaunchType: options.launchType ?? 'FARGATE',
        ...network,
        Overrides: {
          ContainerOverrides: [
            {
              Name: container,
              'Command.$': `States.Array(${command.join(', ')})`,
            },
          ],
        },
      },
      ResultPath: null,
      Retry: [
        {
          ErrorEquals: ['States.TaskFailed', 'ECS.AmazonECSException'],
          IntervalSeconds: 10,
          BackoffRate: 2,
          MaxAttempts: Math.max(0, (options.maxAttempts ?? 3) - 1),
        },
      ],
      ...(next ? { Next: next } : { End: true }),
    }
  }
  const states: Record<string, AslState> = {}
  const levelState = (names: string[]) => (names.length === 1 ? taskName(names[0]) : `Parallel_${names.join('_')}`)
  levels.forEach((names, i) => {
    const next = i + 1 < levels.length ? levelState(levels[i + 1]) : NOTIFY_SUCCESS
    if (names.length === 1) {
      states[taskName(names[0])] = { ...task(names[0], next), Catch: catchAll }
      return
    }
    states[levelState(names)] = {
      Type: 'Parallel',
      Comment: `${names.join(' ∥ ')}: independent steps run concurrently`,
      Branches: names.map((n) => ({ StartAt: taskName(n), States: { [taskName(n)]: task(n, undefined) } })),
      ResultPath: null,
      Next: next,
      Catch: catchAll,
    }
  })
  const publish = (status: 'succeeded' | 'failed', next: string): AslState => ({
    Type: 'Task',
    Resource: 'arn:aws:states:::sns:publish',
    Parameters: {
      TopicArn: options.topicArn,
      Subject: `ecommerce-etl run ${status}`,
      'Message.$':
        status === 'succeeded'
          ? "States.Format('ecommerce-etl run {} succeeded (warehouse {})', $$.Execution.Name, " +
            `${aslString(options.warehouse)})`
          : "States.Format('ecommerce-etl run {} failed: {}', $$.Execution.Name, States.JsonToString($.error))",
    },
    ResultPath: null,
    Next: next,
  })
  states[NOTIFY_SUCCESS] = publish('succeeded', SUCCEEDED)
  states[NOTIFY_FAILURE] = publish('failed', FAILED)
  states[SUCCEEDED] = { Type: 'Succeed' }
  states[FAILED] = { Type: 'Fail', Error: 'PipelineFailed', Cause: 'a step failed; see the failure notification' }
  return {
    Comment:
      options.comment ??
      `ecommerce-etl pipeline (${levels.map((l) => l.join(' ∥ ')).join(' → ')}) for ${options.warehouse}`,
    StartAt: levelState(levels[0]),
    States: states,
  }
}
