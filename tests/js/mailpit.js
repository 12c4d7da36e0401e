// Mailpit (a real SMTP server with an HTTP API, the one the Go mail tests
// use) for a suite: the binary comes from PATH or Go's bin folder (`make
// mailpit` installs it); without it the suite is skipped, unless
// MAILPIT_REQUIRED is set.
import { findBinary, startMailpit } from '../shared/processes.js';

export { startMailpit };

/** findMailpit returns the binary's path, or '' when it is not installed. */
export const findMailpit = () => findBinary('mailpit');
