// Worker glue: receives { seed, bits, start, step }, searches its share of the
// counters off the main thread (the page stays responsive and readable by
// screen readers), posts progress and the result.
self.onmessage = (e) => {
  const m = e.data;
  rampartSolve(
    self,
    m.seed,
    m.bits,
    m.start,
    m.step,
    (n) => {
      self.postMessage({ type: 'progress', attempts: n });
    },
    false,
  ).then((r) => {
    self.postMessage({ type: 'done', counter: r.counter, via: r.via });
  });
};
