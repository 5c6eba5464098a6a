import { Anchor, Checkbox, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import type { AppVersion } from '../api/client';
import { useTagVersion } from '../api/admin-queries';
import { useTags } from '../api/queries';
import { ErrorAlert } from './ErrorAlert';
import { TagBadge } from './TagBadge';

/** Admins tag or untag this version with the platform's tags (a tag may also grant visitors the version). */
export function VersionTags({ app }: { app: AppVersion }) {
  const tags = useTags();
  const tag = useTagVersion();
  const on = new Set(app.tags.map((t) => t.name));

  return (
    <section aria-labelledby="version-tags" className="panel">
      <Title order={2} size="h4" id="version-tags">
        Tags
      </Title>
      {tags.isPending ? (
        <Loader size="sm" aria-label="Loading the tags" />
      ) : tags.isError ? (
        <ErrorAlert error={tags.error} title="The tags could not be loaded" />
      ) : tags.data.items.length === 0 ? (
        <Text size="sm">
          There are no tags yet: create them on the <Anchor component={Link} to="/admin/tags">admin pages</Anchor>.
        </Text>
      ) : (
        <Stack gap={6} mt="xs">
          {tags.data.items.map((t) => (
            <Checkbox
              key={t.name}
              checked={on.has(t.name)}
              disabled={tag.isPending}
              onChange={(e) => tag.mutate({ id: app.id, tag: t.name, on: e.currentTarget.checked })}
              label={
                <Group gap={6}>
                  <TagBadge tag={t} />
                  {t.visitorRoles.length > 0 && (
                    <Text size="xs" c="dimmed">
                      shows it to {t.visitorRoles.join(', ')}
                    </Text>
                  )}
                </Group>
              }
            />
          ))}
        </Stack>
      )}
      {tag.isError && <ErrorAlert error={tag.error} title="The tag was not changed" />}
    </section>
  );
}
