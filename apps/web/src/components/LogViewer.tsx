import { Button, Group, Paper, ScrollArea, Switch, Text, TextInput } from '@mantine/core';
import { useEffect, useMemo, useRef, useState } from 'react';
import { toApiError } from '../api/client';
import { ErrorAlert } from './ErrorAlert';

/** Lines kept in the page; older ones drop off the top (the download has up to 10 000). */
export const MAX_LINES = 5000;
const TAIL = 500;

type State = 'connecting' | 'following' | 'paused' | 'ended';

/**
 * An instance's log, followed in real time (`GET /api/v1/instances/:id/logs?follow=1`, a chunked
 * text stream read as it comes), with a search that filters the lines, a pause, and a download of
 * the last 10 000 lines.
 */
export function LogViewer({ instanceId }: { instanceId: string }) {
  const [lines, setLines] = useState<string[]>([]);
  const [follow, setFollow] = useState(true);
  const [state, setState] = useState<State>('connecting');
  const [problem, setProblem] = useState<unknown>(null);
  const [search, setSearch] = useState('');
  const [round, setRound] = useState(0);
  const viewport = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!follow) {
      setState('paused');
      return;
    }
    const abort = new AbortController();
    setState('connecting');
    setProblem(null);
    void (async () => {
      try {
        const res = await fetch(`/api/v1/instances/${encodeURIComponent(instanceId)}/logs?tail=${TAIL}&follow=1`, { credentials: 'same-origin', signal: abort.signal });
        if (!res.ok) throw toApiError(res.status, await res.json().catch(() => undefined));
        setLines([]);
        setState('following');
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        let partial = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const parts = (partial + value).split('\n');
          partial = parts.pop() ?? '';
          if (parts.length) setLines((old) => [...old, ...parts].slice(-MAX_LINES));
        }
        if (partial) setLines((old) => [...old, partial].slice(-MAX_LINES));
        setState('ended');
      } catch (e) {
        if (abort.signal.aborted) return;
        setProblem(e);
        setState('ended');
      }
    })();
    return () => abort.abort();
  }, [instanceId, follow, round]);

  const needle = search.trim().toLowerCase();
  const shown = useMemo(() => (needle ? lines.filter((l) => l.toLowerCase().includes(needle)) : lines), [lines, needle]);

  useEffect(() => {
    const v = viewport.current;
    if (v && follow && !needle) v.scrollTop = v.scrollHeight;
  }, [shown, follow, needle]);

  return (
    <section aria-label="Logs">
      <Group justify="space-between" mb="xs" wrap="wrap">
        <TextInput
          aria-label="Search the logs"
          placeholder="Search the logs"
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          size="xs"
          w={260}
        />
        <Group gap="sm">
          <Switch label="Follow" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} size="sm" />
          <Button size="xs" variant="default" component="a" href={`/api/v1/instances/${encodeURIComponent(instanceId)}/logs?tail=10000`} download={`${instanceId}.log`}>
            Download
          </Button>
        </Group>
      </Group>
      {problem !== null && <ErrorAlert error={problem} title="The logs could not be read" />}
      <Paper withBorder radius="sm">
        <ScrollArea h={360} viewportRef={viewport} type="auto" viewportProps={{ tabIndex: 0, role: 'region', 'aria-label': 'Log lines, scroll with the arrow keys' }}>
          <pre aria-live="off" data-testid="log-lines" style={{ margin: 0, padding: 8, fontSize: 12, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
            {shown.join('\n')}
          </pre>
        </ScrollArea>
      </Paper>
      <Group justify="space-between" mt={4}>
        <Text size="xs" c="dimmed" aria-live="polite">
          {needle ? `${shown.length} of ${lines.length} lines match` : `${lines.length} lines`}
          {state === 'connecting' ? ' · connecting…' : state === 'following' ? ' · following' : state === 'paused' ? ' · paused' : ' · the log stream ended'}
        </Text>
        {state === 'ended' && follow && (
          <Button size="compact-xs" variant="subtle" onClick={() => setRound((r) => r + 1)}>
            Follow again
          </Button>
        )}
      </Group>
    </section>
  );
}
