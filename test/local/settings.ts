// hello tuning for the end-to-end tests, through its documented environment variables.
// Kept empty while hello's defaults suit a 1 s TTL; anything set here must be a real tuning knob.
export const HELLO_TEST_ENV: Record<string, string> = {};
