curl -X POST "http://localhost:8000/api/auth/session" \
  -H "Authorization: Bearer <token>"
