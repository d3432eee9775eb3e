import type { Translate } from '../i18n/translate.js';
import type { ChildRef, Role } from './kinds.js';

function childName(child: ChildRef): string {
  return `${child.familyName} ${child.givenName}`;
}

function childLabel(child: ChildRef): string {
  return child.className === null ? childName(child) : `${childName(child)}, ${child.className}`;
}

/**
 * The role the way its owner knows it: «Учитель — ГБОУ Школа № 1»,
 * «Родитель — Петров Иван, 5 «А»».
 */
export function roleLabel(role: Role, t: Translate): string {
  const organization = role.organization?.shortName ?? role.organization?.name ?? null;
  switch (role.kind) {
    case 'parent': {
      const children = role.children.map(childLabel).join('; ');
      return children === '' ? t('role.parent') : t('role.with_place', { role: t('role.parent'), place: children });
    }
    case 'student': {
      const place = [organization, role.className].filter((part) => part !== null).join(', ');
      return place === '' ? t('role.student') : t('role.with_place', { role: t('role.student'), place });
    }
    case 'staff': {
      const title = role.position === null ? t('role.staff') : t(`position.${role.position}`);
      return organization === null ? title : t('role.with_place', { role: title, place: organization });
    }
    case 'teacher':
    case 'admin': {
      const title = t(`role.${role.kind}`);
      return organization === null ? title : t('role.with_place', { role: title, place: organization });
    }
  }
}

export { childName };
