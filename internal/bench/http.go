package bench

// httpOps measures the list as HTML and as JSON through real HTTP on
// loopback with concurrent clients; it lands with the web list and the API.
func (e *env) httpOps() error { return nil }
