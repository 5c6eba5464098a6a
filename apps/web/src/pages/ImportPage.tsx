import { Anchor, Button, FileButton, Group, Paper, Progress, Stack, Text, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type DragEvent } from 'react';
import { useNavigate } from 'react-router';
import { ApiError, type SignedIn } from '../api/client';
import { uploadBundle, type UploadProgress } from '../api/upload';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatBytes } from '../format';

const ZIP_TYPES = new Set(['application/zip', 'application/x-zip-compressed', 'application/octet-stream', '']);

/** Why a chosen file is not a bundle, before anything is sent; null when it may be one. */
function refusal(file: File): string | null {
  if (!file.name.toLowerCase().endsWith('.zip') || !ZIP_TYPES.has(file.type)) return `${file.name} is not a zip file: a bundle is a .zip with app.toml at its root`;
  if (file.size === 0) return `${file.name} is empty`;
  return null;
}

/**
 * Import: a bundle dropped on the page (or chosen with the button) is sent with upload progress;
 * every validation problem is listed with its path in the bundle; success opens the new version.
 */
export function ImportPage({ session }: { session: SignedIn }) {
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [over, setOver] = useState(false);
  const abort = useRef<AbortController | null>(null);
  const busy = progress !== null;

  const choose = (f: File | null) => {
    if (busy || !f) return;
    const why = refusal(f);
    setFile(why ? null : f);
    setProblem(why ? new ApiError(400, 'INVALID', why) : null);
  };

  const start = async () => {
    if (!file) return;
    const controller = new AbortController();
    abort.current = controller;
    setProblem(null);
    setProgress({ loaded: 0, total: file.size });
    try {
      const version = await uploadBundle(file, session.csrfToken, setProgress, controller.signal);
      await queries.invalidateQueries({ queryKey: ['catalog'] });
      navigate(`/apps/${encodeURIComponent(version.id)}`);
    } catch (e) {
      if (!(e instanceof DOMException && e.name === 'AbortError')) setProblem(e);
      setProgress(null);
    } finally {
      abort.current = null;
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (e.dataTransfer.files.length > 1) return setProblem(new ApiError(400, 'INVALID', 'drop one bundle at a time'));
    choose(e.dataTransfer.files[0] ?? null);
  };
  const percent = progress && progress.total > 0 ? Math.min(100, Math.round((progress.loaded / progress.total) * 100)) : 0;

  return (
    <Stack maw={720}>
      <Title order={1}>Import an app</Title>
      <Text c="dimmed">
        A bundle is a zip with <code>app.toml</code> at its root, your app&apos;s code, and optionally wheels and <code>static/</code> images. It becomes a new version in the
        catalog, private to you until you share it.
      </Text>
      <Paper
        withBorder
        p="xl"
        radius="md"
        role="group"
        aria-label="Bundle drop zone"
        onDragOver={(e) => {
          e.preventDefault();
          if (!busy) setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        style={{ borderStyle: 'dashed', borderWidth: 2, borderColor: over ? 'var(--mantine-primary-color-filled)' : undefined }}
      >
        <Stack align="center" gap="xs">
          <Text fw={500}>{over ? 'Drop the bundle to choose it' : 'Drag a bundle (.zip) here'}</Text>
          <Text size="sm" c="dimmed">
            or
          </Text>
          <FileButton onChange={choose} accept=".zip,application/zip" disabled={busy}>
            {(props) => (
              <Button variant="default" {...props}>
                Choose a bundle…
              </Button>
            )}
          </FileButton>
          {file && (
            <Text size="sm" aria-live="polite">
              {file.name} ({formatBytes(file.size)})
            </Text>
          )}
        </Stack>
      </Paper>
      {progress && (
        <Stack gap={4}>
          <Progress value={percent} aria-label="Upload progress" striped animated={percent >= 100} />
          <Text size="sm" aria-live="polite">
            {percent >= 100 ? 'Uploaded; checking the bundle…' : `Uploading ${formatBytes(progress.loaded)} of ${formatBytes(progress.total)} (${percent}%)`}
          </Text>
        </Stack>
      )}
      {problem !== null && <ErrorAlert error={problem} title="The bundle was not imported" />}
      <Group>
        <Button onClick={() => void start()} disabled={!file || busy} loading={busy}>
          Import
        </Button>
        {busy && (
          <Button variant="subtle" color="gray" onClick={() => abort.current?.abort()}>
            Cancel
          </Button>
        )}
        <Anchor href="/api/docs" size="sm">
          The import API
        </Anchor>
      </Group>
    </Stack>
  );
}
