import { act } from '@testing-library/react';

/** EventSource at the network boundary: the test feeds it the events GET /api/v1/events sends (stub it with vi.stubGlobal). */
export class FakeEventSource {
  static open: FakeEventSource[] = [];
  readonly listeners = new Map<string, ((e: MessageEvent<string>) => void)[]>();
  closed = false;
  constructor(
    readonly url: string,
    readonly init?: EventSourceInit,
  ) {
    FakeEventSource.open.push(this);
  }
  addEventListener(type: string, fn: (e: MessageEvent<string>) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  close() {
    this.closed = true;
  }
  emit(type: string, data?: unknown) {
    act(() => {
      for (const fn of this.listeners.get(type) ?? []) fn(new MessageEvent(type, { data: data === undefined ? '' : JSON.stringify(data) }));
    });
  }
}
