curl -X POST "http://localhost:8000/api/auth/session" \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer <token>"
