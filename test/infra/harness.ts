/**
 * The infra tests run the real program under Pulumi's mock runtime through the same
 * runner the offline plan uses (plan/program.ts).
 */
export {
  ACCOUNT,
  loadProjectFile,
  loadStackConfig,
  MOCK_UUID,
  PROJECT,
  ProgramRun,
  RecordedResource,
  ROOT,
  runProgram,
} from "../../plan/program";
