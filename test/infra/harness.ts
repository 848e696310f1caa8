/**
 * The infra tests run the real program under Pulumi's mock runtime through the same
 * runner the offline plan uses (plan/program.ts).
 */
export { loadProjectFile, loadStackConfig, PROJECT, ProgramRun, RecordedResource, ROOT, runProgram } from "../../plan/program";
