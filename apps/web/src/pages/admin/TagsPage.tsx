import { Button, ColorInput, Group, Modal, MultiSelect, Stack, Table, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { ROLES, useCreateTag, useDeleteTag, useUpdateTag, type Role } from '../../api/admin-queries';
import type { Tag } from '../../api/client';
import { useTags } from '../../api/queries';
import { ErrorAlert } from '../../components/ErrorAlert';
import { TagBadge } from '../../components/TagBadge';
import { Confirm, ListState, ScrollTable } from './common';

const TAG_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const COLOR = /^#[0-9a-fA-F]{6}$/;

/** Create (name, title, colour, description, visitor roles) or edit a tag (everything but its name). */
function TagForm({ tag, onDone }: { tag: Tag | null; onDone: () => void }) {
  const create = useCreateTag();
  const update = useUpdateTag();
  const mutation = tag ? update : create;
  const [name, setName] = useState(tag?.name ?? '');
  const [title, setTitle] = useState(tag?.title ?? '');
  const [color, setColor] = useState(tag?.color ?? '#1f6feb');
  const [description, setDescription] = useState(tag?.description ?? '');
  const [visitorRoles, setRoles] = useState<Role[]>(tag?.visitorRoles ?? []);
  const [tried, setTried] = useState(false);
  const problems = {
    ...(!tag && !TAG_NAME.test(name) ? { name: 'lower-case letters, digits and dashes, starting with a letter or digit' } : {}),
    ...(title.trim() ? {} : { title: 'give the tag a title' }),
    ...(COLOR.test(color) ? {} : { color: 'a colour like #1f6feb' }),
  };
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setTried(true);
        if (Object.keys(problems).length) return;
        const fields = { title: title.trim(), color, description, visitorRoles };
        if (tag) update.mutate({ name: tag.name, body: fields }, { onSuccess: onDone });
        else create.mutate({ name, ...fields }, { onSuccess: onDone });
      }}
    >
      <Stack gap="sm">
        {!tag && <TextInput label="Name" description="Its id in URLs and filters, e.g. certified" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={tried && problems.name} data-autofocus />}
        <TextInput label="Title" required value={title} onChange={(e) => setTitle(e.currentTarget.value)} error={tried && problems.title} />
        <ColorInput label="Colour" value={color} onChange={setColor} format="hex" error={tried && problems.color} />
        <Textarea label="Description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} autosize minRows={2} maxLength={2000} />
        <MultiSelect
          label="Visitor roles"
          description="Visitors with one of these roles see ALL_USERS app versions that carry this tag"
          data={ROLES}
          value={visitorRoles}
          onChange={(v) => setRoles(v as Role[])}
          clearable
        />
        <Group gap="xs">
          <Text size="sm">Preview:</Text>
          <TagBadge tag={{ name: name || 'tag', title: title || 'Title', color: COLOR.test(color) ? color : '#6e7781' }} />
        </Group>
        {mutation.isError && <ErrorAlert error={mutation.error} title="The tag was not saved" />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={mutation.isPending}>
            {tag ? 'Save tag' : 'Create tag'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Admin tab: tags (colour, description, visitor roles): create, edit, delete after confirming. */
export function AdminTagsPage() {
  const tags = useTags();
  const remove = useDeleteTag();
  const [editing, setEditing] = useState<Tag | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Tag | null>(null);
  const list = { ...tags, items: tags.data?.items ?? [] };
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={2}>Tags</Title>
        <Button onClick={() => setEditing('new')}>New tag</Button>
      </Group>
      <ListState query={list} label="tags" empty="No tags yet.">
        <ScrollTable minWidth={640} label="Tags">
          <Table striped aria-label="Tags">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Tag</Table.Th>
                <Table.Th scope="col">Name</Table.Th>
                <Table.Th scope="col">Description</Table.Th>
                <Table.Th scope="col">Visitor roles</Table.Th>
                <Table.Th scope="col">
                  <span className="visually-hidden">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.items.map((t) => (
                <Table.Tr key={t.name} data-tag-row={t.name}>
                  <Table.Td>
                    <TagBadge tag={t} />
                  </Table.Td>
                  <Table.Td>
                    <code>{t.name}</code>
                  </Table.Td>
                  <Table.Td>{t.description || '—'}</Table.Td>
                  <Table.Td>{t.visitorRoles.join(', ') || 'none'}</Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <Button size="xs" variant="subtle" onClick={() => setEditing(t)} aria-label={`Edit ${t.title}`}>
                        Edit
                      </Button>
                      <Button size="xs" variant="subtle" color="red" onClick={() => (remove.reset(), setDeleting(t))} aria-label={`Delete ${t.title}`}>
                        Delete
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      </ListState>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? 'New tag' : `Edit ${editing?.title ?? ''}`} centered>
        {editing !== null && <TagForm tag={editing === 'new' ? null : editing} onDone={() => setEditing(null)} />}
      </Modal>
      <Confirm
        opened={deleting !== null}
        title={`Delete the tag ${deleting?.title ?? ''}?`}
        action="Delete"
        pending={remove.isPending}
        error={remove.error}
        onClose={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate(deleting.name, { onSuccess: () => setDeleting(null) })}
      >
        <Text size="sm">It is taken off every app version; visitors it granted no longer see those versions.</Text>
      </Confirm>
    </Stack>
  );
}
