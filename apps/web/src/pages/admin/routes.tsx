import { Navigate, Route, Routes } from 'react-router';
import type { SignedIn } from '../../api/client';
import { ADMIN_TABS, AdminPage, AdminsOnly, isAdminSession } from './AdminPage';

/**
 * Everything under /admin (mount with `<Route path="admin/*" element={<AdminRoutes session={session} />} />`):
 * /admin goes to the first tab, /admin/:tab shows a tab; non-admins get the "Admins only" page.
 */
export function AdminRoutes({ session }: { session: SignedIn }) {
  if (!isAdminSession(session)) return <AdminsOnly />;
  return (
    <Routes>
      <Route index element={<Navigate to={ADMIN_TABS[0]!.path} replace />} />
      <Route path=":tab" element={<AdminPage session={session} />} />
    </Routes>
  );
}
