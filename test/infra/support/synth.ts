import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { CloudSweepApp, createApp } from '../../../lib/app';

/**
 * The app as the tests see it. Bundling is skipped (the bundles are tested once, by `cdk synth`
 * and the bundle benchmark), so a synth takes a second or two instead of one esbuild per function.
 */
export function synthApp(context: Record<string, unknown> = {}): CloudSweepApp & { central: Stack; centralTemplate: Template; memberTemplate: Template } {
  const built = createApp({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  return { ...built, centralTemplate: Template.fromStack(built.central), memberTemplate: Template.fromStack(built.member) };
}

export function logicalId(construct: IConstruct): string {
  const resource = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(resource instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(resource).getLogicalId(resource);
}

type Intrinsic = Record<string, unknown>;

/**
 * Resolves the intrinsics CDK leaves in a state machine definition (Fn::Join of Ref and
 * Fn::GetAtt) with real values, so the definition can run outside CloudFormation.
 */
export function resolveIntrinsics(value: unknown, refs: Record<string, string>, attributes: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, refs, attributes));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Intrinsic;
  if ('Ref' in object) return lookup(refs, String(object.Ref));
  if ('Fn::GetAtt' in object) {
    const [id, attribute] = object['Fn::GetAtt'] as [string, string];
    return lookup(attributes, `${id}.${attribute}`);
  }
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => resolveIntrinsics(part, refs, attributes)).join(separator);
  }
  return Object.fromEntries(Object.entries(object).map(([key, item]) => [key, resolveIntrinsics(item, refs, attributes)]));
}

function lookup(values: Record<string, string>, key: string): string {
  const value = values[key];
  if (value === undefined) throw new Error(`no value for ${key} in the definition`);
  return value;
}
