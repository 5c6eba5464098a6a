import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { setCsrfToken, type Tag } from '../../api/client';
import { error, FakeGateway, tag } from '../../test/fake-api';
import { AdminTagsPage } from './TagsPage';
import { admin, renderPage } from './test-page';

function setup(tags: Tag[]) {
  const list = [...tags];
  const gw = new FakeGateway()
    .on('GET', /^\/api\/v1\/tags$/, () => ({ status: 200, body: { items: list, nextCursor: null } }))
    .on('POST', /^\/api\/v1\/tags$/, (r) => {
      const t = { createdAt: '2026-02-01T00:00:00.000Z', ...(r.body as Omit<Tag, 'createdAt'>) };
      if (list.some((x) => x.name === t.name)) return error(409, 'CONFLICT', `tag ${t.name} already exists`);
      list.push(t);
      return { status: 201, body: t };
    })
    .on('PATCH', /^\/api\/v1\/tags\/([^/]+)$/, (r, m) => {
      const at = list.findIndex((x) => x.name === m[1]);
      list[at] = { ...list[at]!, ...(r.body as Partial<Tag>) };
      return { status: 200, body: list[at] };
    })
    .on('DELETE', /^\/api\/v1\/tags\/([^/]+)$/, (_r, m) => {
      list.splice(
        list.findIndex((x) => x.name === m[1]),
        1,
      );
      return { status: 200, body: { name: m[1], deleted: true } };
    })
    .install();
  renderPage(<AdminTagsPage />);
  return gw;
}

describe('the admin Tags tab', () => {
  beforeEach(() => setCsrfToken(admin.csrfToken));

  it('creates a tag with its colour, description and visitor roles', async () => {
    const user = userEvent.setup();
    const gw = setup([]);
    await screen.findByText('No tags yet.');
    await user.click(screen.getByRole('button', { name: 'New tag' }));
    const dialog = await screen.findByRole('dialog', { name: 'New tag' });
    await user.type(within(dialog).getByRole('textbox', { name: /^Name/ }), 'certified');
    await user.type(within(dialog).getByRole('textbox', { name: /^Title/ }), 'Certified');
    const colour = within(dialog).getByRole('textbox', { name: 'Colour' });
    await user.clear(colour);
    await user.type(colour, '#1c3d5a');
    await user.type(within(dialog).getByRole('textbox', { name: 'Description' }), 'Reviewed by the platform team');
    await user.click(within(dialog).getByRole('textbox', { name: /Visitor roles/ }));
    await user.click(await screen.findByRole('option', { name: 'visitor' }));
    await user.click(within(dialog).getByRole('button', { name: 'Create tag' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const [post] = gw.requests('POST', '/api/v1/tags');
    expect(post!.body).toEqual({ name: 'certified', title: 'Certified', color: '#1c3d5a', description: 'Reviewed by the platform team', visitorRoles: ['visitor'] });
    expect(post!.headers.get('x-csrf-token')).toBe(admin.csrfToken);
    const row = (await screen.findByRole('table', { name: 'Tags' })).querySelector('tr[data-tag-row="certified"]') as HTMLElement;
    expect(row.querySelector('[data-tag="certified"]')).toHaveStyle({ backgroundColor: '#1c3d5a' });
    expect(row).toHaveTextContent('Certified');
    expect(row).toHaveTextContent('visitor');
  });

  it('checks the form before sending and shows what the API refused', async () => {
    const user = userEvent.setup();
    const gw = setup([tag('certified', 'Certified', '#1c3d5a')]);
    await user.click(await screen.findByRole('button', { name: 'New tag' }));
    const dialog = await screen.findByRole('dialog', { name: 'New tag' });
    await user.type(within(dialog).getByRole('textbox', { name: /^Name/ }), 'Bad Name');
    await user.click(within(dialog).getByRole('button', { name: 'Create tag' }));
    expect(within(dialog).getByText(/lower-case letters, digits and dashes/)).toBeInTheDocument();
    expect(within(dialog).getByText('give the tag a title')).toBeInTheDocument();
    expect(gw.requests('POST', /tags/)).toHaveLength(0);
    await user.clear(within(dialog).getByRole('textbox', { name: /^Name/ }));
    await user.type(within(dialog).getByRole('textbox', { name: /^Name/ }), 'certified');
    await user.type(within(dialog).getByRole('textbox', { name: /^Title/ }), 'Again');
    await user.click(within(dialog).getByRole('button', { name: 'Create tag' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('The tag was not saved');
    expect(alert).toHaveTextContent('tag certified already exists');
  });

  it('edits a tag (everything but its name) and deletes one after confirmation', async () => {
    const user = userEvent.setup();
    const gw = setup([tag('certified', 'Certified', '#1c3d5a'), tag('beta', 'Beta', '#ffcc00')]);
    await user.click(await screen.findByRole('button', { name: 'Edit Certified' }));
    const dialog = await screen.findByRole('dialog', { name: 'Edit Certified' });
    expect(within(dialog).queryByRole('textbox', { name: /^Name/ })).toBeNull();
    const title = within(dialog).getByRole('textbox', { name: /^Title/ });
    await user.clear(title);
    await user.type(title, 'Approved');
    await user.click(within(dialog).getByRole('button', { name: 'Save tag' }));
    await waitFor(() => expect(gw.requests('PATCH', '/api/v1/tags/certified')).toHaveLength(1));
    expect(gw.requests('PATCH', '/api/v1/tags/certified')[0]!.body).toEqual({ title: 'Approved', color: '#1c3d5a', description: '', visitorRoles: [] });
    expect(await screen.findByRole('button', { name: 'Edit Approved' })).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Delete Beta' }));
    const confirm = await screen.findByRole('dialog', { name: 'Delete the tag Beta?' });
    expect(within(confirm).getByRole('button', { name: 'Close' })).toBeInTheDocument();
    expect(gw.requests('DELETE', /tags/)).toHaveLength(0);
    await user.click(within(confirm).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Delete Beta' })).toBeNull());
    expect(gw.requests('DELETE', '/api/v1/tags/beta')).toHaveLength(1);
  });
});
