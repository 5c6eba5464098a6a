import { MantineProvider } from '@mantine/core';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { theme } from '../theme';
import { LogViewer } from './LogViewer';

/** The follow stream at the network boundary: fetch answers a chunked text body the test writes to. */
function logStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const encoder = new TextEncoder();
  return {
    response: new Response(body, { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } }),
    write: (text: string) => controller.enqueue(encoder.encode(text)),
    end: () => controller.close(),
  };
}

const view = (id = 'inst000001') =>
  render(
    <MantineProvider {...theme} env="test">
      <LogViewer instanceId={id} />
    </MantineProvider>,
  );
const text = () => screen.getByTestId('log-lines').textContent ?? '';

describe('the log viewer', () => {
  let requests: { url: string; signal: AbortSignal | undefined }[];
  let streams: ReturnType<typeof logStream>[];
  beforeEach(() => {
    requests = [];
    streams = [];
    vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
      requests.push({ url, signal: init?.signal ?? undefined });
      if (url.includes('missing')) return new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'instance missing not found' } }), { status: 404 });
      const s = logStream();
      streams.push(s);
      return s.response;
    });
  });

  it('follows the lines as they come, split across chunks, and says when the stream ended', async () => {
    view();
    await waitFor(() => expect(streams).toHaveLength(1));
    expect(requests[0]!.url).toBe('/api/v1/instances/inst000001/logs?tail=500&follow=1');
    streams[0]!.write('starting\nlisten');
    await waitFor(() => expect(text()).toBe('starting'));
    streams[0]!.write('ing on 8000\nGET / 200\n');
    await waitFor(() => expect(text()).toBe('starting\nlistening on 8000\nGET / 200'));
    expect(screen.getByText(/3 lines · following/)).toBeInTheDocument();
    streams[0]!.end();
    expect(await screen.findByText(/the log stream ended/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Follow again' }));
    await waitFor(() => expect(streams).toHaveLength(2));
  });

  it('filters by the search as you type, pauses (ending the request) and links the download', async () => {
    view();
    await waitFor(() => expect(streams).toHaveLength(1));
    streams[0]!.write('GET /a 200\nPOST /b 500\nget /c 200\n');
    await waitFor(() => expect(text()).toContain('get /c'));
    await userEvent.type(screen.getByRole('textbox', { name: 'Search the logs' }), 'GET');
    expect(text()).toBe('GET /a 200\nget /c 200');
    expect(screen.getByText(/2 of 3 lines match/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('switch', { name: 'Follow' }));
    expect(requests[0]!.signal!.aborted).toBe(true);
    expect(await screen.findByText(/paused/)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Download' })).toHaveAttribute('href', '/api/v1/instances/inst000001/logs?tail=10000');
    expect(screen.getByRole('link', { name: 'Download' })).toHaveAttribute('download', 'inst000001.log');
  });

  it("shows the API's refusal as a readable message", async () => {
    view('missing');
    expect(await screen.findByRole('alert')).toHaveTextContent('instance missing not found');
    expect(screen.getByRole('alert')).not.toHaveTextContent('{');
  });
});
