/**
 * The infra tests run the real program under Pulumi's mock runtime through the same
 * runner the offline plan uses (plan/program.ts).
 */
export {
  type AliasRequest,
  withProjectDefaults,
  ACCOUNT,
  loadProjectFile,
  loadStackConfig,
  MOCK_UUID,
  PROJECT,
  ProgramRun,
  RecordedResource,
  ROOT,
  runMocked,
  runProgram,
} from "../../plan/program";
