//! A fake of Microsoft Graph (v1.0 directory reads) and the identity platform's token endpoint.
