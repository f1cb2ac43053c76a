import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ConsoleMe, Me, Options } from './api';

export interface SessionInfo {
  me: Me;
  pages: ConsoleMe;
  options: Options;
}
export const SessionContext = createContext<SessionInfo | null>(null);
export const useSession = (): SessionInfo => {
  const s = useContext(SessionContext);
  if (!s) throw new Error('no session');
  return s;
};
