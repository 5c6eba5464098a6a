import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes, useParams } from 'react-router';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { alice, appVersion } from '../test/fake-api';
import { theme } from '../theme';
import { ImportPage } from './ImportPage';

/**
 * The upload at the network boundary: XMLHttpRequest (the only browser API with upload progress)
 * is replaced by one that records what is sent and answers as the gateway does. The real upload
 * to the real gateway: apps/embedded/src/e2e/web.e2e.spec.ts.
 */
class FakeXhr {
  static sent: FakeXhr[] = [];
  static answer: (x: FakeXhr) => void = () => {};
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown;
  status = 0;
  responseText = '';
  aborted = false;
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k.toLowerCase()] = v;
  }
  send(body: unknown) {
    this.body = body;
    FakeXhr.sent.push(this);
    FakeXhr.answer(this);
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ loaded, total, lengthComputable: true });
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

function VersionPage() {
  return <p>version page of {useParams().ref}</p>;
}

function renderImport() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <MantineProvider {...theme} env="test">
      <QueryClientProvider client={client}>
        <MemoryRouter initialEntries={['/import']}>
          <Routes>
            <Route path="import" element={<ImportPage session={alice} />} />
            <Route path="apps/:ref" element={<VersionPage />} />
          </Routes>
        </MemoryRouter>
      </QueryClientProvider>
    </MantineProvider>,
  );
}

const zip = (name = 'hello.zip', bytes = 2048) => new File([new Uint8Array(bytes)], name, { type: 'application/zip' });
const input = () => document.querySelector('input[type=file]') as HTMLInputElement;

describe('the import page', () => {
  beforeEach(() => {
    FakeXhr.sent = [];
    FakeXhr.answer = () => {};
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
  });

  it('sends the chosen zip with the CSRF token, shows the upload progress, then opens the new version', async () => {
    const created = appVersion({ name: 'hello', version: '1.0.0' });
    renderImport();
    await userEvent.upload(input(), zip());
    expect(screen.getByText('hello.zip (2 KiB)')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Import' }));
    const [xhr] = FakeXhr.sent;
    expect([xhr!.method, xhr!.url, xhr!.headers['content-type'], xhr!.headers['x-csrf-token']]).toEqual(['POST', '/api/v1/bundles', 'application/zip', alice.csrfToken]);
    expect((xhr!.body as File).name).toBe('hello.zip');

    xhr!.progress(1024, 2048);
    expect(await screen.findByText('Uploading 1 KiB of 2 KiB (50%)')).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'Upload progress' })).toHaveAttribute('aria-valuenow', '50');
    xhr!.progress(2048, 2048);
    expect(await screen.findByText('Uploaded; checking the bundle…')).toBeInTheDocument();
    xhr!.respond(201, created);
    expect(await screen.findByText(`version page of ${created.id}`)).toBeInTheDocument();
  });

  it('lists every validation problem with its path, and keeps the file to try again', async () => {
    FakeXhr.answer = (x) =>
      x.respond(400, {
        error: {
          code: 'INVALID',
          message: 'bundle is invalid: app.toml: Name: required; app.toml: Runtime.Memory: not a size',
          details: { problems: [{ path: 'app.toml: Name', message: 'required' }, { path: 'app.toml: Runtime.Memory', message: 'not a size' }] },
        },
      });
    renderImport();
    await userEvent.upload(input(), zip('broken.zip'));
    await userEvent.click(screen.getByRole('button', { name: 'Import' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The bundle was not imported');
    expect(alert).toHaveTextContent('app.toml: Name: required');
    expect(alert).toHaveTextContent('app.toml: Runtime.Memory: not a size');
    expect(alert).not.toHaveTextContent('{');
    expect(screen.getByRole('button', { name: 'Import' })).toBeEnabled();
  });

  it('refuses a file that is not a zip before sending anything, and takes a dropped bundle', async () => {
    renderImport();
    await userEvent.upload(input(), new File(['x'], 'notes.txt', { type: 'text/plain' }), { applyAccept: false });
    expect(await screen.findByRole('alert')).toHaveTextContent('notes.txt is not a zip file');
    expect(screen.getByRole('button', { name: 'Import' })).toBeDisabled();

    fireEvent.drop(screen.getByRole('group', { name: 'Bundle drop zone' }), { dataTransfer: { files: [zip('dropped.zip', 10)] } });
    expect(await screen.findByText('dropped.zip (10 bytes)')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(FakeXhr.sent).toEqual([]);
  });

  it('cancels an upload in progress', async () => {
    renderImport();
    await userEvent.upload(input(), zip());
    await userEvent.click(screen.getByRole('button', { name: 'Import' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Cancel' }));
    expect(FakeXhr.sent[0]!.aborted).toBe(true);
    await waitFor(() => expect(screen.queryByRole('progressbar')).not.toBeInTheDocument());
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});
