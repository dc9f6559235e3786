// Short detector windows for tests that watch a whole attack (start,
// mitigation, relaxation, end) within one test run: the detector: section of
// their configuration.
export const FAST_DETECTOR = {
  warmup: '2s',
  min_rps: 10,
  ban_min_rps: 30,
  end_after: '2s',
  recover_hold: '2s',
  mitigation_ttl: '6s',
  ban_duration: '20s',
  widen_after: '3s',
};
