import { Badge, Button, Group, Loader, NativeSelect, Radio, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { CATEGORIES, type AppVersion, type Category } from '../api/client';
import { CATALOG_MAX, useCatalog, useTags, type CatalogFilter, type CatalogSort } from '../api/queries';
import { AppIcon } from '../components/AppIcon';
import { ErrorAlert } from '../components/ErrorAlert';
import { TagBadge } from '../components/TagBadge';

/** Cards shown at first, and added by each "Show more". */
export const CARDS_PER_PAGE = 48;
/** How long typing must pause before the search goes to the server. */
export const SEARCH_DEBOUNCE_MS = 250;

/** The catalog's filter as the page's address gives it (`?q=&category=&tag=&sort=`); sort only when newest (name is the default). */
export function catalogFilterOf(params: URLSearchParams): CatalogFilter {
  const category = (CATEGORIES as readonly string[]).includes(params.get('category') ?? '') ? (params.get('category') as Category) : undefined;
  const sort = params.get('sort') === 'newest' ? 'newest' : undefined;
  return { q: params.get('q')?.trim() || undefined, category, tag: params.get('tag') || undefined, sort };
}

/**
 * The catalog: the latest version of every app the user may see, searched as they type (the
 * server's `q`), filtered by category and tag, sorted by name or newest (by the server); the state
 * lives in the URL (`?q=&category=&tag=&sort=`) so that back, reload and sign-in keep it.
 */

export function CatalogPage() {
  const [params, setParams] = useSearchParams();
  const { category, tag, sort: newest } = catalogFilterOf(params);
  const sort: CatalogSort = newest ?? 'name';
  const [search, setSearch] = useState(params.get('q') ?? '');
  const [q] = useDebouncedValue(search.trim(), SEARCH_DEBOUNCE_MS);
  const [shown, setShown] = useState(CARDS_PER_PAGE);

  const update = (changes: Record<string, string | undefined>) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        for (const [k, v] of Object.entries(changes)) {
          if (v) next.set(k, v);
          else next.delete(k);
        }
        return next;
      },
      { replace: true },
    );
  // the debounced search goes into the URL
  useEffect(() => {
    if ((params.get('q') ?? '') !== q) update({ q: q || undefined });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q]);
  useEffect(() => setShown(CARDS_PER_PAGE), [q, category, tag, sort]);

  const catalog = useCatalog({ q: q || undefined, category, tag, sort: newest });
  const tags = useTags();
  // in the server's order
  const sorted = catalog.data?.items ?? [];
  const visible = sorted.slice(0, shown);
  // nothing to show yet: no page has come (a new filter shows the previous cards meanwhile)
  const loading = catalog.isPending || (!catalog.data?.complete && (catalog.data?.items.length ?? 0) === 0);
  const filtered = Boolean(q || category || tag);

  return (
    <Stack gap="md">
      <Title order={1}>Catalog</Title>
      <div className="catalog-filters" role="search">
        <TextInput
          className="catalog-search"
          label="Search"
          placeholder="Name, title, description or keyword"
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          rightSection={catalog.isFetching ? <Loader size="xs" aria-label="Searching" /> : null}
          type="search"
        />
        {/* the browser's own selects: keyboard and screen-reader behaviour for free, and no dropdown to position (a Select's positions the layout at every render) */}
        <NativeSelect
          label="Category"
          data={[{ value: '', label: 'Any category' }, ...CATEGORIES.map((c) => ({ value: c, label: c }))]}
          value={category ?? ''}
          onChange={(e) => update({ category: (e.currentTarget.value || undefined) as Category | undefined })}
        />
        {(tags.data?.items.length ?? 0) > 0 && (
          <NativeSelect
            label="Tag"
            data={[{ value: '', label: 'Any tag' }, ...(tags.data?.items ?? []).map((t) => ({ value: t.name, label: t.title }))]}
            value={tag ?? ''}
            onChange={(e) => update({ tag: e.currentTarget.value || undefined })}
          />
        )}
        {/* plain radios: a SegmentedControl's sliding indicator measures the layout again on every change of the page, which cost the first cards a forced layout each */}
        <Radio.Group label="Sort" value={sort} onChange={(v) => update({ sort: v === 'newest' ? 'newest' : undefined })}>
          <Group gap="md" mt={8}>
            <Radio value="name" label="Name" />
            <Radio value="newest" label="Newest" />
          </Group>
        </Radio.Group>
      </div>

      <Text size="sm" c="dimmed" aria-live="polite" data-testid="catalog-count">
        {loading
          ? 'Loading the catalog…'
          : catalog.data
            ? `${catalog.data.items.length}${catalog.data.complete && !catalog.data.truncated ? '' : '+'} ${catalog.data.items.length === 1 ? 'app' : 'apps'}${filtered ? ' found' : ''}`
            : ''}
      </Text>
      {catalog.data?.truncated && (
        <Text size="sm">Only the first {CATALOG_MAX} apps are listed ({sort === 'newest' ? 'the newest' : 'by name'}): narrow the search to see the others.</Text>
      )}

      {catalog.isError ? (
        <ErrorAlert error={catalog.error} title="The catalog could not be loaded" onRetry={() => void catalog.refetch()} />
      ) : loading ? (
        <Group justify="center" p="xl">
          <Loader aria-label="Loading the catalog" />
        </Group>
      ) : sorted.length === 0 ? (
        <Stack align="center" p="xl" gap="xs" className="empty-state">
          <Title order={2} size="h3">
            {filtered ? 'No app matches' : 'No apps yet'}
          </Title>
          <Text c="dimmed">
            {filtered ? 'Try other words, or clear the filters.' : 'Apps appear here once someone imports a bundle and shares it with you.'}
          </Text>
          {filtered && (
            <Button
              variant="default"
              onClick={() => {
                setSearch('');
                update({ q: undefined, category: undefined, tag: undefined });
              }}
            >
              Clear search and filters
            </Button>
          )}
        </Stack>
      ) : (
        <>
          <ul className="card-grid" aria-label="Apps">
            {visible.map((app) => (
              <AppCard key={app.id} app={app} />
            ))}
          </ul>
          {sorted.length > shown && (
            <Group justify="center">
              <Button variant="default" onClick={() => setShown((n) => n + CARDS_PER_PAGE)}>
                Show more ({sorted.length - shown} more)
              </Button>
            </Group>
          )}
        </>
      )}
    </Stack>
  );
}

/** The host a link goes to, for its label (the address itself when it cannot be read). */
function hostOf(address: string): string {
  try {
    return new URL(address).host;
  } catch {
    return address;
  }
}

function AppCard({ app }: { app: AppVersion }) {
  const categories = app.categories.filter((c) => c !== 'All');
  return (
    <li className="app-card" data-app={app.name}>
      <div className="app-card-head">
        <AppIcon app={app} />
        <div className="app-card-title">
          <Title order={2} size="h4">
            {app.runtime.lifecycle === 'LINK' && app.runtime.linkAddress ? (
              // a LINK app has no instance: its card opens the site it points to
              <a href={app.runtime.linkAddress} className="card-link" target="_blank" rel="noopener noreferrer">
                {app.title}
                <span aria-hidden="true"> ↗</span>
                <span className="visually-hidden"> (opens {hostOf(app.runtime.linkAddress)} in a new tab)</span>
              </a>
            ) : (
              <Link to={`/apps/${encodeURIComponent(app.name)}`} className="card-link">
                {app.title}
              </Link>
            )}
          </Title>
          <Text size="xs" c="dimmed">
            {app.name} {app.version} · {app.owner.name}
          </Text>
        </div>
      </div>
      <Text size="sm" lineClamp={3} className="app-card-description">
        {app.description}
      </Text>
      {(categories.length > 0 || app.tags.length > 0 || app.runtime.lifecycle !== 'ON_DEMAND') && (
        <Group gap={6} className="app-card-badges">
          {app.runtime.lifecycle === 'MANAGED' && (
            <Badge variant="light" color="teal" radius="sm" tt="none">
              Shared instance
            </Badge>
          )}
          {app.runtime.lifecycle === 'LINK' && (
            <Badge variant="light" color="indigo" radius="sm" tt="none">
              Link
            </Badge>
          )}
          {categories.map((c) => (
            <Badge key={c} variant="light" color="gray" radius="sm" tt="none">
              {c}
            </Badge>
          ))}
          {app.tags.map((t) => (
            <TagBadge key={t.name} tag={t} />
          ))}
        </Group>
      )}
    </li>
  );
}
