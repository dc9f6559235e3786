// Verdicts the proxy itself gives (parse hygiene, limits, origin faults).
// Built once; their rule names are the stable names in headers/metrics/logs.
import { verdict } from '../core/model.js';

export const proxyVerdicts = {
  badRequest: verdict('parse/bad-request', 'deny', 400),
  badFraming: verdict('parse/bad-framing', 'deny', 400),
  duplicateHost: verdict('parse/duplicate-host', 'deny', 400),
  missingHost: verdict('parse/missing-host', 'deny', 400),
  absoluteForm: verdict('parse/absolute-form', 'deny', 400),
  unknownHost: verdict('parse/unknown-host', 'deny', 421),
  headerTooLarge: verdict('parse/header-too-large', 'deny', 431),
  bodyTooLarge: verdict('guard/body-too-large', 'deny', 413),
  headerTimeout: verdict('guard/header-timeout', 'drop', 408),
  slowBody: verdict('guard/slow-body', 'drop', 408),
  connLimit: verdict('guard/conn-limit', 'drop', 429),
  originUnavailable: verdict('origin/unavailable', 'error', 502),
  originTimeout: verdict('origin/timeout', 'error', 504),
  internal: verdict('internal/error', 'error', 500),
};
