/**
 * CloudWatch Embedded Metric Format, checked as AWS's specification states it
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * a root object with an `_aws` member holding `Timestamp` (epoch ms) and `CloudWatchMetrics`, an array
 * of directives `{ Namespace, Dimensions: string[][], Metrics: [{ Name, Unit?, StorageResolution? }] }`;
 * every dimension key names a top-level string member, every metric name a top-level number (or array
 * of at most 100 numbers); at most 30 keys per dimension set and 100 metrics per directive. Units are
 * the ones CloudWatch's own API model (StandardUnit) lists.
 */
import { AWS_UNITS } from "./cloudwatch";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** One metric as CloudWatch would extract it from a line. */
export interface EmfDatum {
  namespace: string;
  name: string;
  unit: string | undefined;
  /** Dimension name -> value, one entry per dimension set. */
  dimensions: Record<string, string>;
  value: number | number[];
  timestamp: number;
}

/** What is wrong with `line` per the specification; empty: CloudWatch extracts its metrics. */
export function emfProblems(line: unknown, now = Date.now()): string[] {
  const problems: string[] = [];
  if (!isObject(line)) return ["the line is not a JSON object"];
  const aws = line._aws;
  if (!isObject(aws)) return ["no _aws object: CloudWatch takes the line for a plain log event"];
  const ts = aws.Timestamp;
  if (!Number.isInteger(ts))
    problems.push(`_aws.Timestamp must be epoch milliseconds, got ${JSON.stringify(ts)}`);
  // CloudWatch refuses data points more than two weeks old or two hours ahead.
  else if ((ts as number) < now - 14 * 86_400_000 || (ts as number) > now + 2 * 3_600_000)
    problems.push(`_aws.Timestamp ${String(ts)} lies outside two weeks back / two hours ahead`);
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives) || directives.length === 0)
    return [...problems, "_aws.CloudWatchMetrics must be a non-empty array of metric directives"];
  directives.forEach((d: unknown, i) => {
    const at = `_aws.CloudWatchMetrics[${i}]`;
    if (!isObject(d)) return void problems.push(`${at} is not an object`);
    if (typeof d.Namespace !== "string" || d.Namespace.length < 1 || d.Namespace.length > 255)
      problems.push(`${at}.Namespace must be a string of 1 to 255 characters`);
    else if (d.Namespace.startsWith("AWS/")) problems.push(`${at}.Namespace must not start with AWS/`);
    if (!Array.isArray(d.Dimensions)) problems.push(`${at}.Dimensions must be an array of dimension sets`);
    else
      d.Dimensions.forEach((set: unknown, j) => {
        if (!Array.isArray(set) || set.length > 30)
          return void problems.push(`${at}.Dimensions[${j}] must be an array of at most 30 keys`);
        for (const key of set) {
          const value = typeof key === "string" ? line[key] : undefined;
          if (typeof value !== "string" || value.length < 1 || value.length > 1024)
            problems.push(`${at}.Dimensions[${j}]: ${JSON.stringify(key)} names no top-level string member`);
        }
      });
    if (!Array.isArray(d.Metrics) || d.Metrics.length > 100)
      return void problems.push(`${at}.Metrics must be an array of at most 100 metric definitions`);
    d.Metrics.forEach((m: unknown, j) => {
      if (!isObject(m) || typeof m.Name !== "string" || m.Name.length < 1 || m.Name.length > 255)
        return void problems.push(`${at}.Metrics[${j}].Name must be a string of 1 to 255 characters`);
      if (m.Unit !== undefined && !(typeof m.Unit === "string" && AWS_UNITS.includes(m.Unit)))
        problems.push(`${at}.Metrics[${j}].Unit ${JSON.stringify(m.Unit)} is not a CloudWatch unit`);
      if (m.StorageResolution !== undefined && m.StorageResolution !== 1 && m.StorageResolution !== 60)
        problems.push(`${at}.Metrics[${j}].StorageResolution must be 1 or 60`);
      const value = line[m.Name];
      const values = Array.isArray(value) ? value : [value];
      if (values.length < 1 || values.length > 100 || !values.every(isFiniteNumber))
        problems.push(`${at}.Metrics[${j}]: ${m.Name} has no top-level number (or array of up to 100)`);
    });
  });
  return problems;
}

/** The data points CloudWatch would extract from a valid line. */
export function emfData(line: Json): EmfDatum[] {
  const aws = line._aws as {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit?: string }[];
    }[];
  };
  return aws.CloudWatchMetrics.flatMap((d) =>
    d.Dimensions.flatMap((set) =>
      d.Metrics.map((m) => ({
        namespace: d.Namespace,
        name: m.Name,
        unit: m.Unit,
        dimensions: Object.fromEntries(set.map((k) => [k, line[k] as string])),
        value: line[m.Name] as number | number[],
        timestamp: aws.Timestamp,
      })),
    ),
  );
}

/** The EMF lines among a process's JSON log lines (the others are its ordinary logs). */
export function emfLines(lines: readonly Json[]): Json[] {
  return lines.filter((l) => "_aws" in l);
}
