import requests

response = requests.post(
    "http://localhost:8000/api/auth/session",
    headers={'Content-Type':'application/json','Authorization':'Bearer <token>'},
)

print(response.json())
