// The current time, refreshed every `everyMs`, for relative times and sliding chart windows.

import { useEffect, useState } from "react";

export function useNow(everyMs: number, frozen = false): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (frozen) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs, frozen]);
  return now;
}
