// Hash routes (#/…): the page is one document, so a route never reaches the server and never carries a secret
// value; secret names and ids are URL-encoded as one segment.

export type SecretTab = 'overview' | 'versions' | 'tags' | 'access' | 'rotation' | 'delete';
export const secretTabs: readonly SecretTab[] = ['overview', 'versions', 'tags', 'access', 'rotation', 'delete'];

export type Route =
  | { page: 'secrets'; filterKey: string; q: string }
  | { page: 'create-secret' }
  | { page: 'secret'; id: string; tab: SecretTab }
  | { page: 'rotation' }
  | { page: 'parameters' }
  | { page: 'keys' }
  | { page: 'audit'; attribute: string; value: string; start: string; end: string }
  | { page: 'audit-event'; eventId: string }
  | { page: 'not-found'; hash: string };

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

export function parseRoute(hash: string): Route {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const [pathPart = '', queryPart = ''] = raw.split('?', 2) as [string?, string?];
  const query = new URLSearchParams(queryPart);
  const parts = pathPart.split('/').filter((p) => p !== '');
  const [first, second, third] = parts;
  switch (first) {
    case undefined:
    case 'secrets':
      if (parts.length <= 1) {
        return { page: 'secrets', filterKey: query.get('key') ?? 'all', q: query.get('q') ?? '' };
      }
      break;
    case 'create-secret':
      return { page: 'create-secret' };
    case 'secret': {
      const id = second === undefined ? null : decode(second);
      const tab = (third ?? 'overview') as SecretTab;
      if (id && parts.length <= 3 && secretTabs.includes(tab)) {
        return { page: 'secret', id, tab };
      }
      break;
    }
    case 'rotation':
    case 'parameters':
    case 'keys':
      if (parts.length === 1) return { page: first };
      break;
    case 'audit':
      if (parts.length === 1) {
        return { page: 'audit', attribute: query.get('attribute') ?? 'ResourceName', value: query.get('value') ?? '', start: query.get('start') ?? '', end: query.get('end') ?? '' };
      }
      if (second === 'event' && third !== undefined && parts.length === 3) {
        const eventId = decode(third);
        if (eventId) return { page: 'audit-event', eventId };
      }
      break;
  }
  return { page: 'not-found', hash: raw };
}

function withQuery(path: string, params: Record<string, string>): string {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '')).toString();
  return query ? `${path}?${query}` : path;
}

export function href(route: Route): string {
  switch (route.page) {
    case 'secrets':
      return '#' + withQuery('/secrets', { key: route.filterKey === 'all' ? '' : route.filterKey, q: route.q });
    case 'create-secret':
      return '#/create-secret';
    case 'secret':
      return `#/secret/${encodeURIComponent(route.id)}${route.tab === 'overview' ? '' : '/' + route.tab}`;
    case 'rotation':
    case 'parameters':
    case 'keys':
      return `#/${route.page}`;
    case 'audit':
      return '#' + withQuery('/audit', { attribute: route.attribute === 'ResourceName' ? '' : route.attribute, value: route.value, start: route.start, end: route.end });
    case 'audit-event':
      return `#/audit/event/${encodeURIComponent(route.eventId)}`;
    case 'not-found':
      return '#' + route.hash;
  }
}

export const secretHref = (id: string, tab: SecretTab = 'overview'): string => href({ page: 'secret', id, tab });
