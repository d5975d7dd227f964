import { removeStateHome } from './state-home';

/** Jest global teardown (see state-home.ts). */
export default removeStateHome;
